"""PCI facts: every PCI function with its ids, class, driver and the bridge it sits behind."""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError
from hwcompat.parsers import sysfs_pci
from hwcompat.parsers.sysfs_pci import PciDevice
from hwcompat.sources.base import PCI_BUS_DIR, FactSource


@dataclass(frozen=True, slots=True)
class PciFacts:
    """All PCI devices, sorted by sysfs path; ``origin`` says where they were read."""

    devices: tuple[PciDevice, ...]
    origin: str

    def by_slot(self, slot: str) -> PciDevice | None:
        """The device at a full slot (``0000:00:19.0``), if any."""
        return next((d for d in self.devices if d.slot == slot), None)


def collect(source: FactSource) -> PciFacts:
    """Enumerate PCI devices (pyudev live, the sysfs mirror in snapshots)."""
    raw = source.pci_devices()
    devices = []
    for dev in raw:
        try:
            devices.append(sysfs_pci.parse(dev))
        except ParseError as err:
            err.origin = source.where(dev.sys_path)
            raise
    backend = getattr(source, "pci_backend", "")
    origin = source.where(PCI_BUS_DIR) + (f" via {backend}" if backend else "")
    return PciFacts(tuple(devices), origin)
