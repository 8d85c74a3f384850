r"""Parser for ``/proc/swaps`` (active swap areas).

Input: a header, then one row per swap area; blanks in file names are printed as ``\040``::

    Filename				Type		Size	Used	Priority
    /dev/xvda2                              partition	524284	81232	-1

Records (:class:`SwapArea`)::

    filename: str
    type: str          # partition | file
    size_kb: int
    used_kb: int
    priority: int

Raises ParseError when the header is missing or a row has non-numeric columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "proc_swaps"


@dataclass(frozen=True, slots=True)
class SwapArea:
    """One active swap area."""

    filename: str
    type: str
    size_kb: int
    used_kb: int
    priority: int


def parse(text: str) -> list[SwapArea]:
    """Parse /proc/swaps."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        return []
    if lines[0][1].split()[0] != "Filename":
        raise ParseError(NAME, lines[0][0], lines[0][1], "expected the header 'Filename Type Size Used Priority'")
    records = []
    for line_no, line in lines[1:]:
        words = line.split()
        try:
            if len(words) != 5:
                raise ValueError
            records.append(SwapArea(words[0].replace("\\040", " "), words[1], int(words[2]), int(words[3]), int(words[4])))
        except ValueError:
            raise ParseError(NAME, line_no, line, "expected 'filename type size used priority'") from None
    return records
