"""Parser for ``xl tmem-list -a`` (Xen < 4.13: tmem statistics, Dom0 only, needs root).

Input: the hypervisor's own text, one entry a line, ``<kind>=key:value,key:value,...``
(xen/common/tmem.c tmemc_list_*)::

    G=Tt:2359,Te:0,Cf:0,Af:0,Pf:0,Ta:3,Lm:0,Et:0,Ea:0,Rt:0,Ra:0,Rx:0,Fp:0
    C=CI:1,ww:0,ca:0,co:0,fr:0,Tc:2834501,Ge:0,Pp:463995,Gp:463807
    P=CI:1,PI:0,PT:PP,U0:0,U1:0

``G`` global, ``S`` shared pool, ``C`` client (one per domain using tmem; CI is its domain id,
Ge successful ephemeral gets, Pp persistent puts, Gp persistent gets), ``P`` pool
(PT: P/E persistent or ephemeral, then S/P shared or private).

Records (:class:`TmemEntry`)::

    kind: str                          # "G" | "S" | "C" | "P"
    fields: tuple[tuple[str, str], ...]  # in order, values as printed

Raises ParseError for a line that is not ``X=k:v,...`` with a known kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "xl_tmem_list"


@dataclass(frozen=True, slots=True)
class TmemEntry:
    """One line of tmem statistics."""

    kind: str
    fields: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        """A field's value, if present."""
        return dict(self.fields).get(key)


def parse(text: str) -> list[TmemEntry]:
    """Parse ``xl tmem-list -a`` output."""
    records = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        kind, sep, rest = line.partition("=")
        if not sep or kind not in ("G", "S", "C", "P"):
            raise ParseError(NAME, line_no, line, "expected G=, S=, C= or P= followed by key:value pairs")
        fields = []
        for pair in rest.split(","):
            key, colon, value = pair.partition(":")
            if not colon or not key:
                raise ParseError(NAME, line_no, line, f"expected key:value, got {pair!r}")
            fields.append((key, value))
        records.append(TmemEntry(kind, tuple(fields)))
    return records
