"""Parser for ``/proc/modules`` (the loaded kernel modules).

Input, one module a line: ``name size refcount deps state address [taints]``::

    e1000e 226318 0 - Live 0xffffffffa0102000
    i2c_i801 17563 0 - Live 0xffffffffa00e3000
    ptp 18933 2 e1000e,igb, Live 0xffffffffa00d9000

Records (:class:`LoadedModule`)::

    name: str
    size: int
    refcount: int | None          # "-" when the kernel cannot unload it
    used_by: tuple[str, ...]      # from "e1000e,igb," ("-" = none)
    state: str                    # Live | Loading | Unloading

Raises ParseError for a line with fewer than five fields or a non-numeric size.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "proc_modules"


@dataclass(frozen=True, slots=True)
class LoadedModule:
    """One loaded module."""

    name: str
    size: int
    refcount: int | None
    used_by: tuple[str, ...]
    state: str


def parse(text: str) -> list[LoadedModule]:
    """Parse /proc/modules text."""
    records = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) < 5:
            raise ParseError(NAME, line_no, line, "expected 'name size refcount deps state address'")
        name, size, refcount, deps, state = parts[:5]
        if not size.isdigit() or not (refcount.isdigit() or refcount == "-"):
            raise ParseError(NAME, line_no, line, "expected numeric size and refcount")
        used_by = tuple(d for d in deps.split(",") if d and d != "-")
        records.append(LoadedModule(name, int(size), int(refcount) if refcount.isdigit() else None, used_by, state))
    return records
