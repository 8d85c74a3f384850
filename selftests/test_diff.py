"""hwcompat diff: what changed between two machines, area by area; exit 0 when nothing did."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from hwcompat.diff import diff
from hwcompat.facts.cache import FactCache
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import MODERN, REPO, SEED
from selftests.test_suite import hwcompat

GATEWAY = REPO / "snapshots" / "vpn-gateway"
DOCKER = REPO / "snapshots" / "docker-host-nat"


def _lines(a: Path, b: Path) -> set[str]:
    return {f"{c.area}: {c.line()}" for c in diff(FactCache(SnapshotSource(a)), FactCache(SnapshotSource(b)))}


def test_a_snapshot_against_itself_differs_in_nothing(tmp_path: Path) -> None:
    proc = hwcompat("diff", str(SEED), str(SEED), "--json", str(tmp_path / "d.json"))
    assert proc.returncode == 0 and proc.stdout.startswith("no differences")
    assert json.loads((tmp_path / "d.json").read_text())["changes"] == []


def test_an_upgrade_says_what_the_new_kernel_and_firmware_changed() -> None:
    lines = _lines(SEED, MODERN)
    for expected in ("PCI devices: ~ 1000:0072 at 00:01.0/00.0 driver: mpt2sas -> mpt3sas", "CPU: ~ microcode: 0x17 -> 0x28",
                     "Board and memory: ~ bios_version: 2.0 -> 3.0", "Kernel and boot: ~ release: 3.13-1-amd64 -> 6.1.0-18-amd64",
                     "Xen: ~ role: dom0 -> none"):
        assert expected in lines, expected
    assert any(line.startswith("CPU: + flags: ") and "vmx" in line for line in lines)
    # what B did not record is said, never taken for "unchanged"
    assert any(line.startswith("Kernel and boot: ? command line: cannot tell, B: /proc/cmdline is not recorded") for line in lines)


def test_a_rebound_a_moved_and_a_removed_device_and_a_lost_flag(tmp_path: Path) -> None:
    after = tmp_path / "after"
    shutil.copytree(SEED, after, symlinks=True)
    root = after / "fs/sys/devices/pci0000:00"
    (root / "0000:00:19.0/driver").unlink()  # the NIC unbound
    os.rename(root / "0000:00:1c.3/0000:03:00.0", root / "0000:00:1c.0/0000:03:00.0")  # the I210 behind another root port
    link = after / "fs/sys/bus/pci/devices/0000:03:00.0"
    link.unlink()
    link.symlink_to("../../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0")
    shutil.rmtree(root / "0000:00:1b.0")
    (after / "fs/sys/bus/pci/devices/0000:00:1b.0").unlink()
    cpuinfo = after / "fs/proc/cpuinfo"
    cpuinfo.write_text(cpuinfo.read_text().replace(" avx2", ""))
    lines = _lines(SEED, after)
    assert "PCI devices: ~ 8086:153a at 00:19.0 driver: e1000e -> none" in lines
    assert "PCI devices: - 8086:8c20 at 00:1b.0 (driver snd_hda_intel)" in lines
    assert "CPU: - flags: avx2" in lines
    assert "PCI devices: ~ 8086:1533 moved: 00:1c.3/00.0 -> 00:1c.0/00.0" in lines
    proc = hwcompat("diff", str(SEED), str(after))
    assert proc.returncode == 1 and "== PCI devices" in proc.stdout


def test_a_missing_snapshot_is_a_usage_error() -> None:
    proc = hwcompat("diff", str(SEED), "/nonexistent/snapshot")
    assert proc.returncode == 4 and "/nonexistent/snapshot" in proc.stderr and "Traceback" not in proc.stderr


def test_nat_rules_are_compared_as_they_read() -> None:
    """Each NAT rule by backend, chain and text (its line number left out); a gateway against itself differs in nothing."""
    assert _lines(GATEWAY, GATEWAY) == set()
    lines = _lines(GATEWAY, DOCKER)
    assert "Network: - NAT rules: iptables-nft nat/POSTROUTING rule '-A POSTROUTING -o tun-hma -j MASQUERADE'" in lines
    [added] = [line for line in lines if line.startswith("Network: + NAT rules:")]
    assert "iptables-legacy nat/POSTROUTING rule '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE'" in added
