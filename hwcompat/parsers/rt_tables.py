"""Parser for ``/etc/iproute2/rt_tables`` (and ``rt_tables.d/*.conf``): routing table names.

Input::

    255	local
    254	main
    253	default
    3	hma

Records (:class:`RtTable`): ``id: int``, ``name: str``. Comments (``#``) and blank lines are
skipped. Raises ParseError for a line that is not ``NUMBER NAME``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "rt_tables"


@dataclass(frozen=True, slots=True)
class RtTable:
    """A routing table's number and name."""

    id: int
    name: str


def parse(text: str) -> list[RtTable]:
    """Parse rt_tables."""
    out = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 2 or not words[0].isdigit():
            raise ParseError(NAME, line_no, line, "expected 'NUMBER NAME'")
        out.append(RtTable(int(words[0]), words[1]))
    return out
