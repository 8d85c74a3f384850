"""PCI facts: every PCI function with its ids, class, driver and the bridge it sits behind."""

from __future__ import annotations

from dataclasses import dataclass, field

from hwcompat.errors import CannotCheck, ParseError
from hwcompat.facts import broken_input
from hwcompat.parsers import sysfs_pci
from hwcompat.parsers.sysfs_pci import PciDevice
from hwcompat.sources.base import PCI_BUS_DIR, FactSource


@dataclass(frozen=True, slots=True)
class PciFacts:
    """All PCI devices, sorted by sysfs path; ``origin`` says where they were read."""

    devices: tuple[PciDevice, ...]
    origin: str
    _by_slot: dict[str, PciDevice] = field(default_factory=dict, repr=False, compare=False)
    _by_path: dict[str, PciDevice] = field(default_factory=dict, repr=False, compare=False)
    _by_id: dict[str, tuple[PciDevice, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, list[PciDevice]] = {}
        for d in self.devices:
            self._by_slot[d.slot] = d
            self._by_path[d.path] = d
            by_id.setdefault(d.id, []).append(d)
        self._by_id.update({k: tuple(v) for k, v in by_id.items()})

    def by_slot(self, slot: str) -> PciDevice | None:
        """The device at a full slot (``0000:00:19.0``), if any."""
        return self._by_slot.get(slot)

    def by_path(self, path: str) -> PciDevice | None:
        """The device at a path (``00:1c.3/00.0``), if any."""
        return self._by_path.get(path)

    def at(self, location: str) -> PciDevice | None:
        """The device at a profile location: a path, or a slot (``03:00.0``, ``0000:03:00.0``)."""
        if "/" in location:
            return self.by_path(location)
        return self.by_slot(location if location.count(":") == 2 else f"0000:{location}")

    def by_id(self, ident: str) -> tuple[PciDevice, ...]:
        """Every device with this ``vendor:device``."""
        return self._by_id.get(ident, ())


def collect(source: FactSource) -> PciFacts:
    """Enumerate PCI devices (pyudev live, the sysfs mirror in snapshots).

    :raises CannotCheck: when they cannot be listed, or a device's attributes cannot be read
    """
    raw = source.pci_devices()
    devices = []
    for dev in raw:
        try:
            devices.append(sysfs_pci.parse(dev))
        except ParseError as err:
            raise CannotCheck(broken_input(err, source.where(dev.sys_path)), broken=True) from None
    backend = getattr(source, "pci_backend", "")
    origin = source.where(PCI_BUS_DIR) + (f" via {backend}" if backend else "")
    return PciFacts(tuple(devices), origin)
