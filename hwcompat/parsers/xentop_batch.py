"""Parser for ``xentop -b -i 1 -f`` (one batch sample of every domain, Dom0 only, needs root).

Input: a summary (not in every build's batch mode), then a header and one row per domain (xen
tools/xenstat/xentop/xentop.c)::

    xentop - 17:04:20   Xen 4.3.0
    5 domains: 1 running, 4 blocked, 0 paused, 0 crashed, 0 dying, 0 shutdown
    Mem: 16651980k total, 12513168k used, 4138812k free, 38912k freeable, CPUs: 4 @ 2500MHz
          NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS ... SSID
      Domain-0 -----r      27858    5.9   10397272   62.4   10485760      63.0     2    0 ...    0

Columns are read by the header's names, in whatever order and number it has: Xen 3.x has no
VBD_RSECT/VBD_WSECT (added in Xen 4.0.0, xen commit 14ec087884), and ``-r`` repeats the header
before every row. Needed: NAME, STATE, MEM(k), MAXMEM(k), VCPUS. A name may hold blanks
(``-f`` prints it whole), so the other columns are taken from both ends of the row. MAXMEM(k)
is ``no limit`` (and MAXMEM(%) ``n/a``) for a domain without a maximum. Lines that follow a row
in other modes (``Tmem:``, ``VCPUs(sec):``, ``Net``, ``VBD``) and repeated summaries are skipped.

Records (:class:`XentopDomain`)::

    name: str
    state: str
    mem_kb: int
    maxmem_kb: int | None      # None for "no limit"
    vcpus: int

Raises ParseError for a header without a needed column, and for a row that does not fit its
header (too few columns, or a value that is not what its column holds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "xentop_batch"
NEEDED = ("NAME", "STATE", "MEM(k)", "MAXMEM(k)", "VCPUS")
_SKIP = ("Tmem:", "VCPUs", "Net", "VBD", "xentop -", "Mem:")
_LABEL = re.compile(r"^[A-Z][A-Z_]*(\([a-z%]+\))?$")
_INT = re.compile(r"^[0-9]+$")
_DEC = re.compile(r"^[0-9]+(\.[0-9]+)?$")
#: what each known column holds (xentop.c print_* functions); other columns are taken as they are
_KINDS = {
    "STATE": re.compile(r"^[-a-z]{6}$"), "CPU(sec)": _INT, "CPU(%)": _DEC, "MEM(k)": _INT, "MEM(%)": _DEC,
    "MAXMEM(k)": re.compile(r"^([0-9]+|no limit)$"), "MAXMEM(%)": re.compile(r"^([0-9]+(\.[0-9]+)?|n/a)$"),
    "VCPUS": _INT, "NETS": _INT, "NETTX(k)": _INT, "NETRX(k)": _INT, "VBDS": _INT, "VBD_OO": _INT, "VBD_RD": _INT,
    "VBD_WR": _INT, "VBD_RSECT": _INT, "VBD_WSECT": _INT, "SSID": _INT,
}


@dataclass(frozen=True, slots=True)
class XentopDomain:
    """One domain's memory as xentop sees it."""

    name: str
    state: str
    mem_kb: int
    maxmem_kb: int | None
    vcpus: int


def _header(words: list[str], line_no: int, line: str) -> list[str] | None:
    """The column names when this line is a header, else None."""
    if "NAME" not in words or not all(_LABEL.match(w) for w in words):
        return None
    missing = [c for c in NEEDED if c not in words]
    if missing or words.count("NAME") > 1:
        raise ParseError(NAME, line_no, line, f"a header without {', '.join(missing) or 'a single NAME'}")
    return words


def _take(words: list[str], column: str, from_end: bool) -> str | None:
    """Take one column's value off one end of the row (two words for ``no limit``)."""
    if not words:
        return None
    two = words[-2:] if from_end else words[:2]
    if column == "MAXMEM(k)" and two == ["no", "limit"]:
        if from_end:
            del words[-2:]
        else:
            del words[:2]
        return "no limit"
    return words.pop() if from_end else words.pop(0)


def _row(columns: list[str], line_no: int, line: str) -> dict[str, str]:
    words = line.split()
    at = columns.index("NAME")
    values: dict[str, str] = {}
    for column in reversed(columns[at + 1:]):
        values[column] = _take(words, column, True) or ""
    for column in columns[:at]:
        values[column] = _take(words, column, False) or ""
    values["NAME"] = " ".join(words)
    if not words:
        raise ParseError(NAME, line_no, line, f"fewer values than the {len(columns)} columns of the header")
    for column, value in values.items():
        kind = _KINDS.get(column)
        if kind and not kind.match(value):
            raise ParseError(NAME, line_no, line, f"{value!r} does not fit column {column}")
    return values


def _fits(columns: list[str] | None, line_no: int, line: str) -> bool:
    """Whether the line reads as a row of the header."""
    if columns is None:
        return False
    try:
        _row(columns, line_no, line)
    except ParseError:
        return False
    return True


def parse(text: str) -> list[XentopDomain]:
    """Parse one ``xentop -b`` sample."""
    records = []
    columns: list[str] | None = None
    for line_no, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words:
            continue
        header = _header(words, line_no, line)
        if header:
            columns = header
            continue
        if (line.lstrip().startswith(_SKIP) or re.match(r"^\s*[0-9]+ domains:", line)) and not _fits(columns, line_no, line):
            continue  # a domain's Net/VBD/VCPUs/Tmem line, or a summary; a domain named NetBSD still fits the header
        if columns is None:
            # batch mode prints its header before any row: a row without one cannot be read by name
            raise ParseError(NAME, line_no, line, "a row before xentop's header line (NAME STATE CPU(sec) ...): the output was cut?")
        v = _row(columns, line_no, line)
        maxmem = None if v["MAXMEM(k)"] == "no limit" else int(v["MAXMEM(k)"])
        records.append(XentopDomain(v["NAME"], v["STATE"], int(v["MEM(k)"]), maxmem, int(v["VCPUS"])))
    return records
