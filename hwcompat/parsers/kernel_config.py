"""Parser for a kernel build configuration (``/boot/config-RELEASE``, ``/proc/config.gz`` unpacked).

Input::

    CONFIG_CLEANCACHE=y
    CONFIG_XEN_TMEM=m
    CONFIG_LOCALVERSION="-tmem"
    # CONFIG_ZSWAP is not set

Records (:class:`ConfigOption`)::

    name: str        # "CONFIG_ZSWAP"
    value: str       # "y" | "m" | "n" (for "is not set") | a number | a quoted string as written

Other comment lines and blank lines are skipped. Raises ParseError for any other line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "kernel_config"
_SET = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


@dataclass(frozen=True, slots=True)
class ConfigOption:
    """One configuration option."""

    name: str
    value: str


def parse(text: str) -> list[ConfigOption]:
    """Parse a kernel .config."""
    records = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if m := _SET.match(line):
            records.append(ConfigOption(m.group(1), m.group(2)))
        elif m := _UNSET.match(line):
            records.append(ConfigOption(m.group(1), "n"))
        elif line.strip() and not line.startswith("#"):
            raise ParseError(NAME, line_no, line, "expected CONFIG_NAME=value or '# CONFIG_NAME is not set'")
    return records
