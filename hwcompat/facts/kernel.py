"""Kernel facts: release, loaded modules, built-in modules, modules available on disk."""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import FactUnavailable
from hwcompat.facts import Unknown, parse_with_origin, read
from hwcompat.parsers import modules_list, proc_modules
from hwcompat.sources.base import FactSource

OSRELEASE = "/proc/sys/kernel/osrelease"
PROC_MODULES = "/proc/modules"
SYS_MODULE = "/sys/module"


@dataclass(frozen=True, slots=True)
class KernelFacts:
    """What the running kernel has.

    ``builtin`` is complete only when modules.builtin was read (``builtin_complete``); otherwise
    it holds what /sys/module shows, which misses built-ins without parameters.
    """

    release: str | Unknown
    loaded: frozenset[str] | Unknown
    builtin: frozenset[str]
    builtin_complete: bool
    on_disk: frozenset[str] | Unknown
    origin: str
    release_origin: str


def collect(source: FactSource) -> KernelFacts:
    """Read /proc/sys/kernel/osrelease, /proc/modules, /sys/module and /lib/modules/RELEASE."""
    release_text = read(source, OSRELEASE)
    release = release_text.strip() if isinstance(release_text, str) else release_text

    try:
        sys_listing = source.list_dir(SYS_MODULE)
    except FactUnavailable:
        sys_listing = None
    loaded: frozenset[str] | Unknown
    try:
        modules_text = source.read_text(PROC_MODULES)
    except FactUnavailable as err:
        loaded = Unknown(err.reason)
    else:
        if modules_text is not None:
            parsed = parse_with_origin(proc_modules.parse, modules_text, source.where(PROC_MODULES))
            loaded = frozenset(m.name for m in parsed)
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
        builtin_text = read(source, f"{base}/modules.builtin")
        if isinstance(builtin_text, str):
            parsed = parse_with_origin(modules_list.parse, builtin_text, source.where(f"{base}/modules.builtin"))
            builtin = builtin | {m.name for m in parsed}
            builtin_complete = True
        dep_text = read(source, f"{base}/modules.dep")
        if isinstance(dep_text, str):
            parsed = parse_with_origin(modules_list.parse, dep_text, source.where(f"{base}/modules.dep"))
            on_disk = frozenset(m.name for m in parsed)
        else:
            on_disk = dep_text
    return KernelFacts(release, loaded, builtin, builtin_complete, on_disk, source.where(PROC_MODULES), source.where(OSRELEASE))
