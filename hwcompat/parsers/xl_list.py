"""Parser for ``xl list`` (running domains, Dom0 only, needs root).

Input: a header, then ``%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f`` rows (Xen 4.3 ..)::

    Name                                        ID   Mem VCPUs	State	Time(s)
    Domain-0                                     0 10153     2     r-----   27858.2
    guest1                                       1   250     1     -b----   12324.0

Records (:class:`XlDomain`)::

    name: str
    domid: int
    mem_mb: int        # current memory (plus outstanding claims)
    vcpus: int
    state: str         # six characters from "rbpscd" or "-"
    time_s: float

Raises ParseError when the header is missing or a row does not end in the five numeric/state
columns. Names containing spaces are kept whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "xl_list"
_ROW = re.compile(r"^(?P<name>.+?)\s+(?P<id>\d+)\s+(?P<mem>\d+)\s+(?P<vcpus>\d+)\s+(?P<state>[-a-z]{6})\s+(?P<time>\d+(\.\d+)?)\s*$")


@dataclass(frozen=True, slots=True)
class XlDomain:
    """One running domain."""

    name: str
    domid: int
    mem_mb: int
    vcpus: int
    state: str
    time_s: float


def parse(text: str) -> list[XlDomain]:
    """Parse ``xl list`` output."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        return []
    first_no, first = lines[0]
    if not first.split() or first.split()[0] != "Name":
        raise ParseError(NAME, first_no, first, "expected the header 'Name ID Mem VCPUs State Time(s)'")
    records = []
    for line_no, line in lines[1:]:
        m = _ROW.match(line)
        if not m:
            raise ParseError(NAME, line_no, line, "expected 'name id mem vcpus state time'")
        records.append(XlDomain(m["name"].strip(), int(m["id"]), int(m["mem"]), int(m["vcpus"]), m["state"], float(m["time"])))
    return records
