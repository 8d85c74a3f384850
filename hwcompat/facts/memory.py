"""Memory facts: total RAM the running kernel manages (a Xen Dom0 sees its own allocation)."""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import CannotCheck
from hwcompat.facts import known, parsed
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
    text = source.read_text(MEMINFO)
    if text is None:
        raise CannotCheck(f"{MEMINFO} does not exist")
    entries = known(parsed(proc_meminfo.parse, text, source.where(MEMINFO)))
    total = next((e.value for e in entries if e.key == "MemTotal"), None)
    if total is None:
        raise CannotCheck(f"{MEMINFO} has no MemTotal line")
    return MemoryFacts(total // 1024, source.where(MEMINFO))
