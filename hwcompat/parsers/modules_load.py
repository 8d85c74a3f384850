"""Parser for ``/etc/modules`` and ``/etc/modules-load.d/*.conf`` (modules loaded at boot).

Input: one module a line, optionally with parameters (``/etc/modules``); ``#`` and ``;`` start
comments::

    # /etc/modules: kernel modules to load at boot time.
    loop
    tmem
    i2c-dev

Records (:class:`ModuleLine`)::

    name: str        # as the kernel names it ('-' -> '_')
    line_no: int

Never raises: every non-comment line names a module.
"""

from __future__ import annotations

from dataclasses import dataclass

NAME = "modules_load"


@dataclass(frozen=True, slots=True)
class ModuleLine:
    """A module listed to load at boot."""

    name: str
    line_no: int


def parse(text: str) -> list[ModuleLine]:
    """Parse a modules-load list."""
    records = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        words = line.strip().split()
        if words and not words[0].startswith(("#", ";")):
            records.append(ModuleLine(words[0].replace("-", "_"), line_no))
    return records
