"""The FactSource protocol and the plain records every source returns.

A source answers questions about one machine. Absent and unreadable are different answers:
``None`` means "looked, it does not exist"; :class:`~hwcompat.errors.CannotCheck` means
"could not look" (not recorded in the snapshot, permission denied, timed out).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hwcompat.errors import CannotCheck

#: sysfs attributes of a PCI device that hwcompat reads (live through pyudev, offline from the mirror)
PCI_ATTRIBUTES = ("vendor", "device", "class", "subsystem_vendor", "subsystem_device", "revision", "numa_node")
PCI_BUS_DIR = "/sys/bus/pci/devices"
NO_PCI_BUS = f"{PCI_BUS_DIR} does not exist: this kernel shows no PCI bus at all, or the evidence of it was lost"


@dataclass(frozen=True, slots=True)
class CommandOutput:
    """What one command printed. ``stdout`` is None when it could not run (``exit`` 127: not installed)."""

    argv: tuple[str, ...]
    stdout: str | None
    exit: int
    stderr: str


@dataclass(frozen=True, slots=True)
class FileStat:
    """A file's metadata without its content (how snapshots record credential files)."""

    type: str
    mode: str
    uid: int
    gid: int
    size: int


@dataclass(frozen=True, slots=True)
class UdevDevice:
    """One device as udev sees it: real sysfs path, bound driver, raw attribute texts."""

    sys_path: str
    driver: str | None
    attributes: tuple[tuple[str, str | None], ...]


class FactSource(Protocol):
    """The narrow door every collector goes through. Live or snapshot is a constructor choice."""

    kind: str
    location: str

    def read_text(self, path: str) -> str | None:
        """Content of a file, or None when it does not exist. Raises CannotCheck."""
        ...

    def read_bytes(self, path: str) -> bytes | None:
        """Raw content of a file (``/proc/config.gz``), or None when it does not exist. Raises CannotCheck."""
        ...

    def read_link(self, path: str) -> str | None:
        """Target of a symlink as stored, or None when it does not exist. Raises CannotCheck."""
        ...

    def list_dir(self, path: str) -> list[str] | None:
        """Sorted entry names of a directory, or None when it does not exist. Raises CannotCheck."""
        ...

    def run(self, argv: Sequence[str]) -> CommandOutput:
        """Run (or replay) a command once per run. Raises CannotCheck when not recorded."""
        ...

    def stat(self, path: str) -> FileStat | None:
        """A file's metadata, or None when it does not exist. Raises CannotCheck."""
        ...

    def pci_devices(self) -> list[UdevDevice]:
        """Every PCI device, sorted by sys_path. Raises CannotCheck."""
        ...

    def cpuid_flags(self) -> list[str]:
        """The CPU flags the CPUID instruction reports to user space (py-cpuinfo's names). Raises CannotCheck."""
        ...

    def where(self, path: str) -> str:
        """Say where a fact came from, e.g. ``live /proc/cpuinfo``."""
        ...


class FileReader(Protocol):
    """The file half of FactSource, enough to walk a sysfs tree."""

    def read_text(self, path: str) -> str | None: ...

    def read_link(self, path: str) -> str | None: ...

    def list_dir(self, path: str) -> list[str] | None: ...


def walk_pci_sysfs(reader: FileReader) -> list[UdevDevice]:
    """Enumerate PCI devices from sysfs files, as pyudev would: ``/sys/bus/pci/devices/*`` links.

    Used on snapshots and when recording, and checked against pyudev by the live self-tests.
    """
    names = reader.list_dir(PCI_BUS_DIR)
    if names is None:
        raise CannotCheck(NO_PCI_BUS)
    devices = []
    for name in names:
        link = f"{PCI_BUS_DIR}/{name}"
        target = reader.read_link(link)
        sys_path = posixpath.normpath(posixpath.join(PCI_BUS_DIR, target)) if target else link
        attrs = tuple((a, _attribute(reader, f"{sys_path}/{a}")) for a in PCI_ATTRIBUTES)
        driver_link = reader.read_link(f"{sys_path}/driver")
        driver = posixpath.basename(driver_link) if driver_link else None
        devices.append(UdevDevice(sys_path, driver, attrs))
    return sorted(devices, key=lambda d: d.sys_path)


def _attribute(reader: FileReader, path: str) -> str | None:
    """A sysfs attribute's value; the kernel ends each with a newline, so one without was cut short."""
    text = reader.read_text(path)
    if text is not None and not text.endswith("\n"):
        raise CannotCheck(f"{path} looks broken: it ends in the middle of a line (cut short?)")
    return None if text is None else text.strip()
