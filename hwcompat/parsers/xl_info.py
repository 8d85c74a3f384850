"""Parser for ``xl info`` (Xen's host and hypervisor summary, Dom0 only, needs root).

Input: one ``key : value`` line each, the key padded to 23 columns (Xen 4.3 through 4.17)::

    host                   : x10sae
    release                : 3.13-1-amd64
    nr_cpus                : 8
    cpu_mhz                : 2494            # "2494.338" from Xen 4.11
    total_memory           : 16261
    xen_major              : 4
    xen_minor              : 3
    xen_extra              : .0
    xen_version            : 4.17.1          # only from Xen 4.4
    xen_commandline        : placeholder dom0_mem=10240M,max:10240M tmem

Records (:class:`XlInfoField`, in order)::

    key: str
    value: str      # as printed, stripped; may be empty

Raises ParseError for a non-blank line without `` : ``. ``xl info -n`` table lines (indented,
no colon) are not expected: hwcompat runs plain ``xl info``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "xl_info"


@dataclass(frozen=True, slots=True)
class XlInfoField:
    """One ``xl info`` line."""

    key: str
    value: str


def parse(text: str) -> list[XlInfoField]:
    """Parse ``xl info`` output."""
    records = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            raise ParseError(NAME, line_no, line, "expected 'key : value'")
        records.append(XlInfoField(key.strip(), value.strip()))
    return records
