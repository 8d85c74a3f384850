"""Memory facts: total RAM the running kernel manages (a Xen Dom0 sees its own allocation)."""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import CannotCheck
from hwcompat.facts import known, parsed, read
from hwcompat.parsers import proc_meminfo
from hwcompat.sources.base import FactSource

MEMINFO = "/proc/meminfo"


@dataclass(frozen=True, slots=True)
class MemoryFacts:
    """MemTotal in MiB."""

    total_mb: int
    origin: str


def collect(source: FactSource) -> MemoryFacts:
    """Read MemTotal from /proc/meminfo."""
    entries = known(parsed(proc_meminfo.parse, read(source, MEMINFO), source.where(MEMINFO)))
    total = next((e.value for e in entries if e.key == "MemTotal"), None)
    if total is None:
        raise CannotCheck(f"{MEMINFO} has no MemTotal line")
    return MemoryFacts(total // 1024, source.where(MEMINFO))
