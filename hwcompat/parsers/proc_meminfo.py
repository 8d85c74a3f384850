"""Parser for ``/proc/meminfo``.

Input, one counter a line, ``Key:  value [kB]``::

    MemTotal:       10397272 kB
    HugePages_Total:       0

Records (:class:`MeminfoEntry`)::

    key: str       # "MemTotal"
    value: int     # in kB where the line says kB, else a count

Raises ParseError for a line without a colon or with a non-numeric value.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "proc_meminfo"


@dataclass(frozen=True, slots=True)
class MeminfoEntry:
    """One /proc/meminfo counter."""

    key: str
    value: int


def parse(text: str) -> list[MeminfoEntry]:
    """Parse /proc/meminfo text."""
    records = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, rest = line.partition(":")
        words = rest.split()
        if not sep or not key.strip() or not words or not words[0].isdigit() or len(words) > 2:
            raise ParseError(NAME, line_no, line, "expected 'Key: number [kB]'")
        records.append(MeminfoEntry(key.strip(), int(words[0])))
    return records
