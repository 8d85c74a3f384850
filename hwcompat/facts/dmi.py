"""DMI facts (board, BIOS, system) from /sys/class/dmi/id, readable without root."""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.facts import Unknown, read
from hwcompat.sources.base import FactSource

DMI_DIR = "/sys/class/dmi/id"
FIELDS = ("board_vendor", "board_name", "board_version", "bios_vendor", "bios_version", "bios_date", "sys_vendor", "product_name")


@dataclass(frozen=True, slots=True)
class DmiFacts:
    """DMI strings; each is Unknown when the file is missing (no DMI table: VM, non-x86)."""

    values: tuple[tuple[str, str | Unknown], ...]
    origin: str

    def get(self, field: str) -> str | Unknown:
        """One DMI field."""
        return dict(self.values).get(field, Unknown(f"no DMI field {field!r}"))


def collect(source: FactSource) -> DmiFacts:
    """Read the DMI fields hwcompat knows."""
    values = []
    for field in FIELDS:
        text = read(source, f"{DMI_DIR}/{field}")
        values.append((field, text.strip() if isinstance(text, str) else text))
    return DmiFacts(tuple(values), source.where(DMI_DIR))
