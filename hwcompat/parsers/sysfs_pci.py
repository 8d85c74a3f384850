"""Parser for one PCI device's sysfs attributes (``/sys/bus/pci/devices/<BDF>/...``).

Input: a :class:`~hwcompat.sources.base.UdevDevice`, i.e. the real sysfs path, the driver link's
last component and the attribute texts as the kernel prints them::

    sys_path: /sys/devices/pci0000:00/0000:00:1c.3/0000:03:00.0
    vendor: 0x8086   device: 0x1533   class: 0x020000   revision: 0x03
    subsystem_vendor: 0x15d9   subsystem_device: 0x1533   numa_node: -1   driver: igb

Record (:class:`PciDevice`)::

    slot: str               # "0000:03:00.0" (the BDF, last component of sys_path)
    vendor, device: str     # "8086", "1533": four lowercase hex digits
    subsystem_vendor, subsystem_device: str | None
    class_code: str         # "020000": class, subclass, prog-if
    revision: str | None    # "03"
    numa_node: int | None   # the NUMA node it is attached to; None without NUMA (the kernel prints -1) or the file
    driver: str | None      # sysfs driver name (not the module name)
    parent: str | None      # slot of the PCI bridge it sits behind; None on a root bus
    path: str               # "00:1c.5/00.0/03.0": where it sits, stable when bus numbers shift (see pci_path)
    parent_path: str | None # the bridge's path; None on a root bus
    sys_path: str

Raises ParseError when vendor, device or class is missing or not hexadecimal.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from hwcompat.errors import ParseError
from hwcompat.sources.base import UdevDevice

NAME = "sysfs_pci"
_BDF = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


def pci_path(sys_path: str) -> str:
    """Where a device sits, by the device.function hops from its root port, as /sys/devices spells it.

    ``/sys/devices/pci0000:00/0000:00:1c.5/0000:04:00.0/0000:05:03.0`` -> ``00:1c.5/00.0/03.0``:
    the device on the root bus keeps its bus:device.function (fixed by the chipset or CPU), every
    hop below a bridge only its device.function, because the firmware hands out bus numbers in
    enumeration order and they shift when a card is added (a populated x16 slot moves every later
    bus by one). A BDF right below something that is not a PCI function (a root bus, a VMD domain)
    is written whole; the 0000 domain is left out.
    """
    hops: list[str] = []
    below_pci = False
    for comp in sys_path.split("/"):
        if _BDF.match(comp):
            hops.append(comp.rsplit(":", 1)[1] if below_pci else comp.removeprefix("0000:"))
            below_pci = True
        else:
            below_pci = False
    return "/".join(hops)


@dataclass(frozen=True, slots=True)
class PciDevice:
    """One PCI function."""

    slot: str
    vendor: str
    device: str
    subsystem_vendor: str | None
    subsystem_device: str | None
    class_code: str
    revision: str | None
    numa_node: int | None
    driver: str | None
    parent: str | None
    path: str
    parent_path: str | None
    sys_path: str

    @property
    def id(self) -> str:
        """``vendor:device``, e.g. ``8086:1533``."""
        return f"{self.vendor}:{self.device}"


def _hex(attrs: dict[str, str | None], name: str, digits: int, dev: UdevDevice, required: bool) -> str | None:
    raw = attrs.get(name)
    if raw is None:
        if required:
            raise ParseError(NAME, 0, dev.sys_path, f"attribute {name!r} is missing")
        return None
    # the kernel prints these as 0x and a fixed number of hex digits (drivers/pci/pci-sysfs.c)
    if not re.fullmatch(f"0x[0-9a-fA-F]{{{digits}}}", raw):
        raise ParseError(NAME, 0, f"{dev.sys_path}/{name}: {raw}", f"{name} is not 0x and {digits} hexadecimal digits")
    return raw[2:].lower()


def _node(attrs: dict[str, str | None], dev: UdevDevice) -> int | None:
    raw = attrs.get("numa_node")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ParseError(NAME, 0, f"{dev.sys_path}/numa_node: {raw}", "numa_node is not a number") from None
    return value if value >= 0 else None


def parse(dev: UdevDevice) -> PciDevice:
    """Turn one device's raw sysfs attributes into a PciDevice."""
    attrs = dict(dev.attributes)
    slot = posixpath.basename(dev.sys_path)
    parent = posixpath.basename(posixpath.dirname(dev.sys_path))
    path = pci_path(dev.sys_path)
    return PciDevice(
        slot=slot,
        vendor=_hex(attrs, "vendor", 4, dev, True) or "",
        device=_hex(attrs, "device", 4, dev, True) or "",
        subsystem_vendor=_hex(attrs, "subsystem_vendor", 4, dev, False),
        subsystem_device=_hex(attrs, "subsystem_device", 4, dev, False),
        class_code=_hex(attrs, "class", 6, dev, True) or "",
        revision=_hex(attrs, "revision", 2, dev, False),
        numa_node=_node(attrs, dev),
        driver=dev.driver,
        parent=parent if _BDF.match(parent) else None,
        path=path,
        parent_path=path.rpartition("/")[0] or None,
        sys_path=dev.sys_path,
    )
