"""Kernel facts: what the running kernel is and has, and what the next boot will give it.

Running: the release, loaded and built-in modules, modules on disk, /proc/cmdline, the build
configuration, /proc/swaps. Configured for the next boot: the command lines of every boot loader
configuration the machine has (:mod:`hwcompat.facts.boot`: GRUB 2 defaults, GRUB legacy menus,
BootLoaderSpec entries) and the modules listed to load at boot (/etc/modules,
/etc/modules-load.d/*.conf). Everything is parsed here, once.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass

from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown, boot, parsed, read, then
from hwcompat.facts.boot import NextBoot
from hwcompat.parsers import cmdline, kernel_config, modules_list, modules_load, proc_modules, proc_swaps
from hwcompat.parsers.cmdline import CmdlineParam
from hwcompat.parsers.proc_swaps import SwapArea
from hwcompat.sources.base import FactSource

OSRELEASE = "/proc/sys/kernel/osrelease"
PROC_MODULES = "/proc/modules"
SYS_MODULE = "/sys/module"
CMDLINE = "/proc/cmdline"
SWAPS = "/proc/swaps"
MODULES_FILE = "/etc/modules"
MODULES_LOAD_D = "/etc/modules-load.d"

Params = tuple[CmdlineParam, ...]


@dataclass(frozen=True, slots=True)
class KernelFacts:
    """What the running kernel has, and its boot configuration; each part is Unknown when it cannot be read.

    ``builtin`` is complete only when modules.builtin was read (``builtin_complete``); otherwise
    it holds what /sys/module shows beyond the loaded modules, which misses built-ins without
    parameters. ``uncertain``: modules /sys/module shows while /proc/modules lists none, which
    are built in or loaded, and cannot be told apart. ``boot``: each boot loader configuration
    the next boot may come from, with the command lines it gives (Unknown when none can be told).
    ``boot_modules`` maps a module to the file:line listing it.
    """

    release: str | Unknown
    loaded: frozenset[str] | Unknown
    builtin: frozenset[str]
    builtin_complete: bool
    uncertain: frozenset[str]
    on_disk: frozenset[str] | Unknown
    cmdline: Params | Unknown
    config: dict[str, str] | Unknown
    config_origin: str
    swaps: tuple[SwapArea, ...] | Unknown
    boot: tuple[NextBoot, ...] | Unknown
    boot_modules: dict[str, str] | Unknown
    origin: str
    release_origin: str
    cmdline_origin: str


@dataclass(frozen=True, slots=True)
class _Modules:
    loaded: frozenset[str] | Unknown
    builtin: frozenset[str]
    builtin_complete: bool
    uncertain: frozenset[str]
    on_disk: frozenset[str] | Unknown


def _module_list(source: FactSource, path: str) -> frozenset[str] | Unknown:
    """Module names of modules.builtin or modules.dep; an empty one is no real kernel's (depmod lists hundreds)."""
    found = then(parsed(modules_list.parse, read(source, path), source.where(path)), lambda ms: frozenset(m.name for m in ms))
    if isinstance(found, frozenset) and not found:
        return Unknown(f"{path} looks broken: it names no module at all")
    return found


def _modules(source: FactSource, release: str | Unknown) -> _Modules:
    try:
        sys_listing = frozenset(source.list_dir(SYS_MODULE) or ())
    except CannotCheck:
        sys_listing = frozenset()
    text = read(source, PROC_MODULES)
    loaded: frozenset[str] | Unknown
    if isinstance(text, Unknown):
        # /sys/module without /proc/modules: a kernel built without module support
        loaded = frozenset() if text.missing and sys_listing else text
    else:
        loaded = then(parsed(proc_modules.parse, text, source.where(PROC_MODULES)), lambda ms: frozenset(m.name for m in ms))
    builtin: frozenset[str] = frozenset()
    builtin_complete = False
    on_disk: frozenset[str] | Unknown = Unknown("kernel release unknown")
    if isinstance(release, str):
        base = f"/lib/modules/{release}"
        listed = _module_list(source, f"{base}/modules.builtin")
        if not isinstance(listed, Unknown):
            builtin, builtin_complete = listed, True
        on_disk = _module_list(source, f"{base}/modules.dep")
    if isinstance(loaded, frozenset) and not loaded and isinstance(text, str) and isinstance(on_disk, frozenset) and on_disk:
        loaded = Unknown(f"{PROC_MODULES} looks broken: it lists no module at all, in a kernel built with {len(on_disk)} modules "
                         "(a running distribution kernel hardly ever has none loaded)")
    uncertain: frozenset[str] = frozenset()
    if isinstance(loaded, frozenset) and loaded:
        # /sys/module holds loaded modules and built-in code with parameters: what is not loaded is built in
        builtin |= sys_listing - loaded
    elif isinstance(loaded, frozenset):
        # nothing loaded, yet /sys/module shows these: built in, or a /proc/modules that lost its lines
        uncertain = sys_listing - builtin
    return _Modules(loaded, builtin, builtin_complete, uncertain, on_disk)


def _options(text: str, origin: str) -> dict[str, str] | Unknown:
    opts = parsed(kernel_config.parse, text, origin)
    if isinstance(opts, Unknown):
        return opts
    if not opts:
        return Unknown(f"{origin} looks broken: it sets no CONFIG_ option at all (a kernel config lists thousands)")
    return {o.name: o.value for o in opts}


def _config(source: FactSource, release: str | Unknown) -> tuple[dict[str, str] | Unknown, str]:
    tried = []
    if isinstance(release, str):
        path = f"/boot/config-{release}"
        text = read(source, path)
        if isinstance(text, str):
            return _options(text, source.where(path)), source.where(path)
        tried.append(text.reason)
    try:
        data = source.read_bytes("/proc/config.gz")
    except CannotCheck as err:
        data = None
        tried.append(err.reason)
    else:
        if data is None:
            tried.append("/proc/config.gz does not exist")
    if data is not None:
        origin = source.where("/proc/config.gz")
        try:
            text = gzip.decompress(data).decode("utf-8", "replace")
        except (OSError, EOFError, zlib.error) as err:
            return Unknown(f"/proc/config.gz is not readable gzip: {err}"), origin
        return _options(text, origin), origin
    return Unknown("no kernel config: " + "; ".join(tried)), ""


def _boot_modules(source: FactSource) -> dict[str, str] | Unknown:
    found: dict[str, str] = {}
    paths = [MODULES_FILE]
    try:
        paths += [f"{MODULES_LOAD_D}/{n}" for n in source.list_dir(MODULES_LOAD_D) or [] if n.endswith(".conf")]
    except CannotCheck as err:
        return Unknown(err.reason)
    for path in paths:
        text = read(source, path)
        if isinstance(text, Unknown):
            if text.missing:
                continue
            return text
        for line in modules_load.parse(text):
            found.setdefault(line.name, f"{path}:{line.line_no}")
    return found


def _release(source: FactSource) -> str | Unknown:
    text = read(source, OSRELEASE)
    if isinstance(text, Unknown):
        return text
    release = text.strip()
    # the kernel's release is at most 64 printable characters (__NEW_UTS_LEN) and names /lib/modules/<release>
    if not re.fullmatch(r"[\x21-\x7e]{1,64}", release) or "/" in release or release in (".", ".."):
        return Unknown(f"{OSRELEASE} looks broken: {release[:80]!r} is not a kernel release")
    return release


def collect(source: FactSource) -> KernelFacts:
    """Read the running kernel's state and its boot configuration."""
    release = _release(source)
    mods = _modules(source, release)
    text = read(source, CMDLINE)
    if text == "":
        text = Unknown(f"{CMDLINE} looks broken: it is empty (the kernel always ends it with a newline)")
    params = parsed(cmdline.parse, text, source.where(CMDLINE))
    config, config_origin = _config(source, release)
    swaps = parsed(proc_swaps.parse, read(source, SWAPS), source.where(SWAPS))
    return KernelFacts(
        release=release, loaded=mods.loaded, builtin=mods.builtin, builtin_complete=mods.builtin_complete, uncertain=mods.uncertain,
        on_disk=mods.on_disk,
        cmdline=params if isinstance(params, Unknown) else tuple(params), config=config, config_origin=config_origin,
        swaps=swaps if isinstance(swaps, Unknown) else tuple(swaps), boot=boot.collect(source), boot_modules=_boot_modules(source),
        origin=source.where(PROC_MODULES), release_origin=source.where(OSRELEASE), cmdline_origin=source.where(CMDLINE),
    )
