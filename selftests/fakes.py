"""An in-memory FactSource for property tests (never reads the machine)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field

from hwcompat.errors import CannotCheck
from hwcompat.sources.base import CommandOutput, FileStat, UdevDevice, walk_pci_sysfs


@dataclass
class DictSource:
    files: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=lambda: {"/sys/bus/pci/devices"})  # directories that exist even when empty
    known_absent_roots: tuple[str, ...] = ("/",)
    kind: str = "snapshot"
    location: str = "fake"

    def where(self, path: str) -> str:
        return f"fake {path}"

    def _children(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {p[len(prefix):].split("/", 1)[0] for p in (*self.files, *self.links) if p.startswith(prefix)}
        return sorted(names)

    def read_text(self, path: str) -> str | None:
        if not any(path.startswith(r) for r in self.known_absent_roots):
            raise CannotCheck(f"{path} not recorded")
        return self.files.get(path)

    def read_bytes(self, path: str) -> bytes | None:
        text = self.read_text(path)
        return None if text is None else text.encode()

    def read_link(self, path: str) -> str | None:
        return self.links.get(path)

    def list_dir(self, path: str) -> list[str] | None:
        return self._children(path) or ([] if path in self.dirs else None)

    def stat(self, path: str) -> FileStat | None:
        return None

    def run(self, argv: Sequence[str]) -> CommandOutput:
        raise CannotCheck("no commands in a fake")

    def pci_devices(self) -> list[UdevDevice]:
        return walk_pci_sysfs(self)

    def cpuid_flags(self) -> list[str]:
        raise CannotCheck("no CPUID in a fake")


def add_pci(src: DictSource, slot: str, vendor: str, device: str, cls: str, driver: str | None, parent: str | None = None) -> None:
    base = "/sys/devices/pci0000:00" + (f"/{parent}" if parent else "")
    path = f"{base}/{slot}"
    src.links[f"/sys/bus/pci/devices/{slot}"] = posixpath.relpath(path, "/sys/bus/pci/devices")
    src.files.update({f"{path}/vendor": f"0x{vendor}\n", f"{path}/device": f"0x{device}\n", f"{path}/class": f"0x{cls}\n",
                      f"{path}/revision": "0x01\n"})
    if driver:
        src.links[f"{path}/driver"] = f"../../../bus/pci/drivers/{driver}"
