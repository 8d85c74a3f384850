"""Xen facts: whether this kernel runs under Xen, and as what.

Also the hypervisor's version and command line, running domains, their memory, and tmem
statistics (Dom0 only, from xl).
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.facts import Unknown, parse_with_origin, read, run_command
from hwcompat.matchers import version_tuple
from hwcompat.parsers import xentop_batch, xl_info, xl_list, xl_tmem_list
from hwcompat.parsers.xl_list import XlDomain
from hwcompat.parsers.xl_tmem_list import TmemEntry
from hwcompat.sources.base import FactSource

HYPERVISOR = "/sys/hypervisor"
CAPABILITIES = "/proc/xen/capabilities"
XL_INFO = ("xl", "info")
XL_LIST = ("xl", "list")
XL_TMEM_LIST = ("xl", "tmem-list", "-a")
XENTOP = ("xentop", "-b", "-i", "1", "-f")


@dataclass(frozen=True, slots=True)
class XenFacts:
    """What Xen looks like from this kernel. ``role`` is dom0, domU or none; ``how`` says why."""

    role: str | Unknown
    how: str
    version: str | Unknown
    info: dict[str, str] | Unknown
    domains: tuple[XlDomain, ...] | Unknown
    maxmem_kb: dict[str, int | None] | Unknown
    tmem: tuple[TmemEntry, ...] | Unknown
    origin: str

    @property
    def commandline(self) -> str | Unknown:
        """The running hypervisor's command line (``xen_commandline`` of ``xl info``)."""
        if isinstance(self.info, Unknown):
            return self.info
        return self.info.get("xen_commandline", Unknown("xl info has no xen_commandline line"))

    def version_tuple(self) -> tuple[int, ...] | None:
        """The hypervisor version as numbers, if known."""
        return version_tuple(self.version) if isinstance(self.version, str) else None


def _role(source: FactSource) -> tuple[str | Unknown, str]:
    kind = read(source, f"{HYPERVISOR}/type")
    caps = read(source, CAPABILITIES)
    if isinstance(kind, Unknown) and "does not exist" not in kind.reason:
        return kind, kind.reason
    if isinstance(kind, Unknown) or kind.strip() != "xen":
        how = f"{HYPERVISOR}/type " + ("does not exist" if isinstance(kind, Unknown) else f"is {kind.strip()!r}")
        if isinstance(caps, str):
            return Unknown(f"{how}, yet {CAPABILITIES} exists"), how
        return "none", f"{how} and {CAPABILITIES} does not exist"
    if isinstance(caps, Unknown):
        return Unknown(f"under Xen ({HYPERVISOR}/type is 'xen') but Dom0 or guest cannot be told: {caps.reason} (is xenfs mounted on /proc/xen?)"), caps.reason
    if "control_d" in caps.split():
        return "dom0", f"{HYPERVISOR}/type is 'xen' and {CAPABILITIES} says control_d"
    return "domU", f"{HYPERVISOR}/type is 'xen' and {CAPABILITIES} does not say control_d"


def _sys_version(source: FactSource) -> str | Unknown:
    parts = [read(source, f"{HYPERVISOR}/version/{p}") for p in ("major", "minor", "extra")]
    for p in parts:
        if isinstance(p, Unknown):
            return p
    major, minor, extra = (str(p).strip() for p in parts)
    return f"{major}.{minor}{extra}"


def collect(source: FactSource) -> XenFacts:
    """Find out whether and how this kernel runs under Xen; in Dom0, ask xl."""
    role, how = _role(source)
    no = Unknown("only a Xen Dom0 can see this") if role != "dom0" else None
    version: str | Unknown = _sys_version(source) if role in ("dom0", "domU") else Unknown(how)
    info: dict[str, str] | Unknown = no or Unknown("")
    domains: tuple[XlDomain, ...] | Unknown = no or Unknown("")
    maxmem: dict[str, int | None] | Unknown = no or Unknown("")
    tmem: tuple[TmemEntry, ...] | Unknown = no or Unknown("")
    if role == "dom0":
        text = run_command(source, list(XL_INFO))
        info = text if isinstance(text, Unknown) else {f.key: f.value for f in parse_with_origin(xl_info.parse, text, "xl info")}
        if isinstance(version, Unknown) and isinstance(info, dict) and "xen_major" in info:
            version = f"{info['xen_major']}.{info['xen_minor']}{info.get('xen_extra', '')}"
        text = run_command(source, list(XL_LIST))
        domains = text if isinstance(text, Unknown) else tuple(parse_with_origin(xl_list.parse, text, "xl list"))
        text = run_command(source, list(XENTOP))
        maxmem = text if isinstance(text, Unknown) else {
            d.name: d.maxmem_kb for d in parse_with_origin(xentop_batch.parse, text, " ".join(XENTOP))}
        v = version_tuple(version) if isinstance(version, str) else None
        if v is not None and v >= (4, 13):
            # xl has no tmem sub-commands any more; never run what cannot exist
            tmem = Unknown(f"Xen {version} has no tmem (removed in Xen 4.13)")
        else:
            text = run_command(source, list(XL_TMEM_LIST))
            tmem = text if isinstance(text, Unknown) else tuple(parse_with_origin(xl_tmem_list.parse, text, "xl tmem-list -a"))
    return XenFacts(role, how, version, info, domains, maxmem, tmem, source.where(HYPERVISOR))
