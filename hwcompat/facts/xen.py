"""Xen facts: whether this kernel runs under Xen, and as what.

Also the hypervisor's version and command line, running domains, their memory, and tmem
statistics (Dom0 only, from xl).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown, known, parsed, read, run_command, then
from hwcompat.matchers import version_tuple
from hwcompat.parsers import cmdline
from hwcompat.parsers.cmdline import CmdlineParam
from hwcompat.sources.base import FactSource

if TYPE_CHECKING:
    from hwcompat.parsers.xl_list import XlDomain
    from hwcompat.parsers.xl_tmem_list import TmemEntry

HYPERVISOR = "/sys/hypervisor"
CAPABILITIES = "/proc/xen/capabilities"
XL_INFO = ("xl", "info")
XL_LIST = ("xl", "list")
XL_TMEM_LIST = ("xl", "tmem-list", "-a")
XENTOP = ("xentop", "-b", "-i", "1", "-f")


@dataclass(frozen=True, slots=True)
class XenFacts:
    """What Xen looks like from this kernel. ``role`` is dom0, domU or none; ``how`` says why.

    ``cmdline`` is the running hypervisor's command line (``xen_commandline`` of ``xl info``),
    already split into parameters. ``version_origin`` names what the version was read from.
    """

    role: str | Unknown
    how: str
    version: str | Unknown
    info: dict[str, str] | Unknown
    cmdline: tuple[CmdlineParam, ...] | Unknown
    domains: tuple[XlDomain, ...] | Unknown
    maxmem_kb: dict[str, int | None] | Unknown
    tmem: tuple[TmemEntry, ...] | Unknown
    origin: str
    version_origin: str

    def version_tuple(self) -> tuple[int, ...] | None:
        """The hypervisor version as numbers, if known."""
        return version_tuple(self.version) if isinstance(self.version, str) else None

    def _dom0(self) -> XlDomain:
        """Domain-0's row of ``xl list``. Raises CannotCheck: unreadable, or without Domain-0, which xl always lists."""
        dom0 = next((d for d in known(self.domains) if d.domid == 0), None)
        if dom0 is None:
            raise CannotCheck("xl list shows no Domain-0, which it always lists: its output looks broken")
        return dom0

    def dom0_mb(self) -> int:
        """Dom0's memory in MB (``xl list``). Raises CannotCheck."""
        return self._dom0().mem_mb

    def guests(self) -> list[XlDomain]:
        """The guests ``xl list`` shows: every domain but Domain-0 (none on a Dom0 just installed). Raises CannotCheck."""
        self._dom0()
        return [d for d in known(self.domains) if d.domid != 0]


def _role(source: FactSource) -> tuple[str | Unknown, str]:
    kind = read(source, f"{HYPERVISOR}/type")
    caps = read(source, CAPABILITIES)
    if isinstance(kind, Unknown) and not kind.missing:
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
    if not (major.isdigit() and minor.isdigit()):
        return Unknown(f"{HYPERVISOR}/version looks broken: major {major[:20]!r}, minor {minor[:20]!r} are not numbers")
    return f"{major}.{minor}{extra}"


def collect(source: FactSource) -> XenFacts:
    """Find out whether and how this kernel runs under Xen; in Dom0, ask xl."""
    role, how = _role(source)
    version: str | Unknown = _sys_version(source) if role in ("dom0", "domU") else Unknown(how)
    version_origin = f"{HYPERVISOR}/version"
    if role != "dom0":
        no = Unknown("only a Xen Dom0 can see this")
        return XenFacts(role, how, version, no, no, no, no, no, source.where(HYPERVISOR), version_origin)
    from hwcompat.parsers import xentop_batch, xl_info, xl_list, xl_tmem_list  # noqa: PLC0415 - only a Dom0 has xl to ask
    fields = parsed(xl_info.parse, run_command(source, XL_INFO), "xl info")
    info = then(fields, lambda fs: {f.key: f.value for f in fs})
    if isinstance(version, Unknown) and isinstance(info, dict) and "xen_major" in info:
        version = f"{info['xen_major']}.{info['xen_minor']}{info.get('xen_extra', '')}"
        version_origin = "xl info"
    line = then(info, lambda i: i.get("xen_commandline", Unknown("xl info has no xen_commandline line")))
    params = then(parsed(cmdline.parse, line, "xl info xen_commandline"), tuple)
    domains = then(parsed(xl_list.parse, run_command(source, XL_LIST), "xl list"), tuple)
    rows = parsed(xentop_batch.parse, run_command(source, XENTOP), " ".join(XENTOP))
    if isinstance(rows, list) and not rows:
        rows = Unknown("the output of `xentop -b -i 1 -f` looks broken: it lists no domain (Domain-0 is always there)")
    maxmem = then(rows, lambda rs: {d.name: d.maxmem_kb for d in rs})
    v = version_tuple(version) if isinstance(version, str) else None
    tmem: tuple[TmemEntry, ...] | Unknown
    if v is not None and v >= (4, 13):
        # xl has no tmem sub-commands any more; never run what cannot exist
        tmem = Unknown(f"Xen {version} has no tmem (removed in Xen 4.13)")
    else:
        tmem = then(parsed(xl_tmem_list.parse, run_command(source, XL_TMEM_LIST), "xl tmem-list -a"), tuple)
    return XenFacts(role, how, version, info, params, domains, maxmem, tmem, source.where(HYPERVISOR), version_origin)
