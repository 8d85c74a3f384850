"""LiveSource: the only code in hwcompat that reads the machine it runs on.

Reads files with plain ``open`` (never writes), lists directories, runs commands as argv lists
with a timeout and ``LC_ALL=C``, and enumerates PCI devices through pyudev. Every command runs at
most once per run.
"""

from __future__ import annotations

import os
import shutil
import stat as stat_mod
import subprocess
from collections.abc import Sequence

from hwcompat.errors import CannotCheck
from hwcompat.sources.base import NO_PCI_BUS, PCI_ATTRIBUTES, PCI_BUS_DIR, CommandOutput, FileStat, UdevDevice, walk_pci_sysfs

COMMAND_TIMEOUT_S = 30


def _unavailable(path: str, err: OSError) -> CannotCheck:
    if isinstance(err, PermissionError):
        return CannotCheck(f"cannot read {path}: permission denied (needs root)")
    return CannotCheck(f"cannot read {path}: {err.strerror or err}")


class LiveSource:
    """Facts from the running machine."""

    kind = "live"
    location = ""

    def __init__(self) -> None:
        self._commands: dict[tuple[str, ...], CommandOutput] = {}
        self.pci_backend = ""

    def where(self, path: str) -> str:
        """``live <path>``."""
        return f"live {path}"

    def read_bytes(self, path: str) -> bytes | None:
        """Read a file; None when missing; CannotCheck when it cannot be read."""
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as err:
            raise _unavailable(path, err) from None

    def read_text(self, path: str) -> str | None:
        """Read a text file (undecodable bytes replaced)."""
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", errors="replace")

    def read_link(self, path: str) -> str | None:
        """Read a symlink; None when missing; CannotCheck when it is not a link."""
        try:
            return os.readlink(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as err:
            raise _unavailable(path, err) from None

    def list_dir(self, path: str) -> list[str] | None:
        """List a directory; None when missing."""
        try:
            return sorted(os.listdir(path))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as err:
            raise _unavailable(path, err) from None

    def stat(self, path: str) -> FileStat | None:
        """Lstat a path; None when missing."""
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as err:
            raise _unavailable(path, err) from None
        kind = "link" if stat_mod.S_ISLNK(st.st_mode) else "dir" if stat_mod.S_ISDIR(st.st_mode) else "file"
        return FileStat(kind, f"{stat_mod.S_IMODE(st.st_mode):04o}", st.st_uid, st.st_gid, st.st_size)

    def run(self, argv: Sequence[str]) -> CommandOutput:
        """Run a command once (cached); exit 127 with stdout None when the binary is not installed."""
        key = tuple(argv)
        if key in self._commands:
            return self._commands[key]
        if shutil.which(key[0]) is None:
            out = CommandOutput(key, None, 127, f"{key[0]}: not installed")
        else:
            env = dict(os.environ, LC_ALL="C", LANG="C")
            try:
                proc = subprocess.run(  # noqa: S603 - argv list, no shell
                    list(key), capture_output=True, timeout=COMMAND_TIMEOUT_S, env=env, check=False,
                    stdin=subprocess.DEVNULL,
                )
            except subprocess.TimeoutExpired:
                raise CannotCheck(f"`{' '.join(key)}` did not finish in {COMMAND_TIMEOUT_S}s") from None
            except OSError as err:
                raise CannotCheck(f"cannot run `{' '.join(key)}`: {err.strerror or err}") from None
            out = CommandOutput(
                key,
                proc.stdout.decode("utf-8", errors="replace"),
                proc.returncode,
                proc.stderr.decode("utf-8", errors="replace"),
            )
        self._commands[key] = out
        return out

    def pci_devices(self) -> list[UdevDevice]:
        """PCI devices through pyudev; where libudev is missing, the same sysfs walk snapshots use."""
        if self.list_dir(PCI_BUS_DIR) is None:
            raise CannotCheck(NO_PCI_BUS)
        try:
            import pyudev  # noqa: PLC0415 - libudev is loaded only when PCI facts are wanted

            context = pyudev.Context()
        except (ImportError, OSError):
            self.pci_backend = "sysfs (pyudev/libudev not available)"
            return walk_pci_sysfs(self)
        self.pci_backend = "pyudev"
        devices = []
        for dev in context.list_devices(subsystem="pci"):
            attrs = []
            for name in PCI_ATTRIBUTES:
                raw = dev.attributes.get(name)
                attrs.append((name, None if raw is None else raw.decode("utf-8", "replace").strip()))
            devices.append(UdevDevice(dev.sys_path, dev.driver, tuple(attrs)))
        return sorted(devices, key=lambda d: d.sys_path)

    def cpuid_flags(self) -> list[str]:
        """Flags from the CPUID instruction, run in this process by py-cpuinfo (its clock probe is not used)."""
        try:
            from cpuinfo import cpuinfo  # noqa: PLC0415 - only a profile that asks for cpuid_flags pays for it

            cpuid = cpuinfo.CPUID(cpuinfo.Trace(False, False))
            return sorted(cpuid.get_flags(cpuid.get_max_extension_support()))
        except ImportError:
            raise CannotCheck("py-cpuinfo is not installed (pip install py-cpuinfo)") from None
        except Exception as err:
            raise CannotCheck(f"py-cpuinfo could not run CPUID: {err}") from None
