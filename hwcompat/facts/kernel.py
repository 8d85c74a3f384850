"""Kernel facts: what the running kernel is and has, and what the next boot will give it.

Running: the release, loaded and built-in modules, modules on disk, /proc/cmdline, the build
configuration, /proc/swaps. Configured for the next boot: the GRUB defaults (/etc/default/grub,
then /etc/default/grub.d/*.cfg, as update-grub sources them) and the modules listed to load at
boot (/etc/modules, /etc/modules-load.d/*.conf). Everything is parsed here, once.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass

from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown, known, parsed, read
from hwcompat.parsers import cmdline, grub_default, kernel_config, modules_list, modules_load, proc_modules, proc_swaps
from hwcompat.parsers.cmdline import CmdlineParam
from hwcompat.parsers.proc_swaps import SwapArea
from hwcompat.sources.base import FactSource

OSRELEASE = "/proc/sys/kernel/osrelease"
PROC_MODULES = "/proc/modules"
SYS_MODULE = "/sys/module"
CMDLINE = "/proc/cmdline"
SWAPS = "/proc/swaps"
GRUB = "/etc/default/grub"
GRUB_D = "/etc/default/grub.d"
MODULES_FILE = "/etc/modules"
MODULES_LOAD_D = "/etc/modules-load.d"

Params = tuple[CmdlineParam, ...]


@dataclass(frozen=True, slots=True)
class KernelFacts:
    """What the running kernel has, and its boot configuration; each part is Unknown when it cannot be read.

    ``builtin`` is complete only when modules.builtin was read (``builtin_complete``); otherwise
    it holds what /sys/module shows, which misses built-ins without parameters. ``grub`` maps each
    GRUB variable to the parameters it puts on a command line (Unknown when its value cannot be
    known without running the shell). ``boot_modules`` maps a module to the file:line listing it.
    """

    release: str | Unknown
    loaded: frozenset[str] | Unknown
    builtin: frozenset[str]
    builtin_complete: bool
    on_disk: frozenset[str] | Unknown
    cmdline: Params | Unknown
    config: dict[str, str] | Unknown
    config_origin: str
    swaps: tuple[SwapArea, ...] | Unknown
    grub: dict[str, Params | Unknown] | Unknown
    boot_modules: dict[str, str] | Unknown
    origin: str
    release_origin: str
    cmdline_origin: str

    def grub_words(self, *names: str) -> list[CmdlineParam]:
        """The parameters the named GRUB variables put on the command line.

        :raises CannotCheck: when the GRUB files, or one of these variables, cannot be known
        """
        words: list[CmdlineParam] = []
        grub = known(self.grub)
        for name in names:
            value = grub.get(name)
            if value is not None:
                words += known(value)
        return words


def _modules(source: FactSource, release: str | Unknown) -> tuple[frozenset[str] | Unknown, frozenset[str], bool, frozenset[str] | Unknown]:
    try:
        sys_listing = source.list_dir(SYS_MODULE)
    except CannotCheck:
        sys_listing = None
    loaded: frozenset[str] | Unknown
    try:
        modules_text = source.read_text(PROC_MODULES)
    except CannotCheck as err:
        loaded = Unknown(err.reason)
    else:
        if modules_text is not None:
            mods = parsed(proc_modules.parse, modules_text, source.where(PROC_MODULES))
            loaded = mods if isinstance(mods, Unknown) else frozenset(m.name for m in mods)
        elif sys_listing is not None:
            # /sys/module without /proc/modules: a kernel built without module support
            loaded = frozenset()
        else:
            loaded = Unknown(f"{PROC_MODULES} does not exist")
    builtin = frozenset(sys_listing or ()) - (loaded if isinstance(loaded, frozenset) else frozenset())
    builtin_complete = False
    on_disk: frozenset[str] | Unknown = Unknown("kernel release unknown")
    if isinstance(release, str):
        base = f"/lib/modules/{release}"
        listed = parsed(modules_list.parse, read(source, f"{base}/modules.builtin"), source.where(f"{base}/modules.builtin"))
        if not isinstance(listed, Unknown):
            builtin = builtin | {m.name for m in listed}
            builtin_complete = True
        deps = parsed(modules_list.parse, read(source, f"{base}/modules.dep"), source.where(f"{base}/modules.dep"))
        on_disk = deps if isinstance(deps, Unknown) else frozenset(m.name for m in deps)
    return loaded, builtin, builtin_complete, on_disk


def _config(source: FactSource, release: str | Unknown) -> tuple[dict[str, str] | Unknown, str]:
    tried = []
    if isinstance(release, str):
        path = f"/boot/config-{release}"
        text = read(source, path)
        if isinstance(text, str):
            opts = parsed(kernel_config.parse, text, source.where(path))
            return (opts if isinstance(opts, Unknown) else {o.name: o.value for o in opts}), source.where(path)
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
        opts = parsed(kernel_config.parse, text, origin)
        return (opts if isinstance(opts, Unknown) else {o.name: o.value for o in opts}), origin
    return Unknown("no kernel config: " + "; ".join(tried)), ""


def _grub(source: FactSource) -> dict[str, Params | Unknown] | Unknown:
    text = read(source, GRUB)
    if isinstance(text, Unknown):
        return text
    files = [(GRUB, text)]
    try:
        extra = source.list_dir(GRUB_D) or []
    except CannotCheck as err:
        # a .cfg there may override what /etc/default/grub says: without it the result is not known
        return Unknown(f"{err.reason}, so the final GRUB values cannot be known")
    for name in extra:
        if name.endswith(".cfg"):
            more = read(source, f"{GRUB_D}/{name}")
            if isinstance(more, Unknown):
                return more
            files.append((f"{GRUB_D}/{name}", more))
    pairs = []
    for path, body in files:
        assignments = parsed(grub_default.parse, body, source.where(path))
        if isinstance(assignments, Unknown):
            return assignments
        pairs += [(path, a) for a in assignments]
    words: dict[str, Params | Unknown] = {}
    for name, value in grub_default.evaluate(pairs).items():
        if value.value is None:
            words[name] = Unknown(f"{name} cannot be known: {value.reason} ({value.where})")
        else:
            params = parsed(cmdline.parse, value.value, f"{name} ({value.where})")
            words[name] = params if isinstance(params, Unknown) else tuple(params)
    return words


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
            if text.reason.endswith("does not exist"):
                continue
            return text
        for line in modules_load.parse(text):
            found.setdefault(line.name, f"{path}:{line.line_no}")
    return found


def collect(source: FactSource) -> KernelFacts:
    """Read the running kernel's state and its boot configuration."""
    release_text = read(source, OSRELEASE)
    release = release_text.strip() if isinstance(release_text, str) else release_text
    loaded, builtin, builtin_complete, on_disk = _modules(source, release)
    params = parsed(cmdline.parse, read(source, CMDLINE), source.where(CMDLINE))
    config, config_origin = _config(source, release)
    swaps = parsed(proc_swaps.parse, read(source, SWAPS), source.where(SWAPS))
    return KernelFacts(
        release=release, loaded=loaded, builtin=builtin, builtin_complete=builtin_complete, on_disk=on_disk,
        cmdline=params if isinstance(params, Unknown) else tuple(params), config=config, config_origin=config_origin,
        swaps=swaps if isinstance(swaps, Unknown) else tuple(swaps), grub=_grub(source), boot_modules=_boot_modules(source),
        origin=source.where(PROC_MODULES), release_origin=source.where(OSRELEASE), cmdline_origin=source.where(CMDLINE),
    )
