"""Parser for ``xentop -b -i 1 -f`` (one batch sample of every domain, Dom0 only, needs root).

Input: a summary, then a header and one row per domain (xen tools/xenstat/xentop/xentop.c)::

    xentop - 17:04:20   Xen 4.3.0
    5 domains: 1 running, 4 blocked, 0 paused, 0 crashed, 0 dying, 0 shutdown
    Mem: 16651980k total, 12513168k used, 4138812k free, 38912k freeable, CPUs: 4 @ 2500MHz
          NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS ... SSID
      Domain-0 -----r      27858    5.9   10397272   62.4   10485760      63.0     2    0 ...    0

MAXMEM(k) is ``no limit`` (and MAXMEM(%) ``n/a``) for a domain without a maximum. Lines that
follow a row in other modes (``Tmem:``, ``VCPUs(sec):``, ``Net``, ``VBD``) are skipped.

Records (:class:`XentopDomain`)::

    name: str
    state: str
    mem_kb: int
    maxmem_kb: int | None      # None for "no limit"
    vcpus: int

Raises ParseError when a row has too few columns or a non-numeric memory value.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "xentop_batch"
_AFTER_NAME = 18  # STATE .. SSID
_SKIP = ("Tmem:", "VCPUs", "Net", "VBD", "xentop -", "Mem:")


@dataclass(frozen=True, slots=True)
class XentopDomain:
    """One domain's memory as xentop sees it."""

    name: str
    state: str
    mem_kb: int
    maxmem_kb: int | None
    vcpus: int


def parse(text: str) -> list[XentopDomain]:
    """Parse one ``xentop -b`` sample."""
    records = []
    in_table = False
    for line_no, line in enumerate(text.splitlines(), start=1):
        words = line.replace("no limit", "no_limit").split()
        if not words:
            continue
        if words[0] == "NAME":
            in_table = True
            continue
        if not in_table or line.lstrip().startswith(_SKIP) or "domains:" in line:
            continue
        if len(words) < _AFTER_NAME + 1:
            raise ParseError(NAME, line_no, line, f"expected a name and {_AFTER_NAME} columns")
        cols = words[-_AFTER_NAME:]
        try:
            mem = int(cols[3])
            maxmem = None if cols[5] == "no_limit" else int(cols[5])
            vcpus = int(cols[7])
        except ValueError:
            raise ParseError(NAME, line_no, line, "expected numeric MEM(k), MAXMEM(k) and VCPUS") from None
        records.append(XentopDomain(" ".join(words[:-_AFTER_NAME]), cols[0], mem, maxmem, vcpus))
    return records
