"""CPU facts from /proc/cpuinfo (identity of the first CPU, its flags, the logical CPU count).

py-cpuinfo is not used on this path: everything a profile can ask is in /proc/cpuinfo, and
py-cpuinfo's ``get_cpu_info()`` spends about a second measuring the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import CannotCheck
from hwcompat.facts import known, parsed, read
from hwcompat.parsers import proc_cpuinfo
from hwcompat.sources.base import FactSource

CPUINFO = "/proc/cpuinfo"


@dataclass(frozen=True, slots=True)
class CpuFacts:
    """The CPU as the running kernel shows it (a Xen Dom0 sees a filtered view)."""

    vendor_id: str | None
    model_name: str | None
    family: int | None
    model: int | None
    stepping: int | None
    microcode: int | None
    cache_size_kb: int | None
    logical_cpus: int
    flags: frozenset[str]
    origin: str

    @property
    def hypervisor(self) -> bool:
        """True when the CPU says it runs under a hypervisor (the ``hypervisor`` flag)."""
        return "hypervisor" in self.flags


def collect(source: FactSource) -> CpuFacts:
    """Read /proc/cpuinfo."""
    blocks = [b for b in known(parsed(proc_cpuinfo.parse, read(source, CPUINFO), source.where(CPUINFO))) if b.processor is not None]
    if not blocks:
        raise CannotCheck(f"{CPUINFO} lists no processor")
    first = blocks[0]
    return CpuFacts(
        vendor_id=first.vendor_id,
        model_name=first.model_name,
        family=first.family,
        model=first.model,
        stepping=first.stepping,
        microcode=first.microcode,
        cache_size_kb=first.cache_size_kb,
        logical_cpus=len(blocks),
        flags=frozenset(first.flags),
        origin=source.where(CPUINFO),
    )
