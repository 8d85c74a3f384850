"""Benchmark: the seed run on its snapshot vs a trivial one-test pytest run, both with --html.

    ./dev bench [--runs N]

Prints the median wall time of each and their ratio (the budget in DESIGN.md is 1.5x).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "snapshots" / "x10sae-xen-dom0"


def big_snapshot(out: Path, devices: int) -> tuple[Path, Path]:
    """The seed snapshot with ``devices`` more PCI functions, and a profile naming every one by its path.

    The functions are SR-IOV-like virtual functions behind root ports: what a 1,000-device server
    looks like to hwcompat. Returns the snapshot directory and the profile file (which extends the seed host profile).
    """
    snap = out / f"seed-{devices}-devices"
    shutil.copytree(SEED, snap, symlinks=True)
    root = snap / "fs/sys/devices/pci0000:00"
    entries = []
    for n in range(devices):
        port, function = divmod(n, 256)
        port_slot = f"00:{4 + port // 8:02x}.{port % 8}"
        bus = 0x20 + port
        if function == 0:
            _pci_function(root / f"0000:{port_slot}", "0x8086", "0x8c10", "0x060400", "pcieport")
            (snap / "fs/sys/bus/pci/devices" / f"0000:{port_slot}").symlink_to(f"../../../devices/pci0000:00/0000:{port_slot}")
            entries.append(f'    "8086:8c10@{port_slot}": {{driver: pcieport, class: "0604"}}')
        slot = f"{bus:02x}:{function // 8:02x}.{function % 8}"
        _pci_function(root / f"0000:{port_slot}" / f"0000:{slot}", "0x8086", "0x10ed", "0x020000", "ixgbevf")
        (snap / "fs/sys/bus/pci/devices" / f"0000:{slot}").symlink_to(f"../../../devices/pci0000:00/0000:{port_slot}/0000:{slot}")
        entries.append(f'    "8086:10ed@{port_slot}/{function // 8:02x}.{function % 8}": {{title: "82599 VF {n}", driver: ixgbevf, class: "0200"}}')
    profile = out / f"big-{devices}.yaml"
    profile.write_text(f"name: big-{devices}\ndescription: the seed host with {devices} more PCI functions\n"
                       "extends: [hosts/x10sae-xen-dom0]\npci:\n  devices:\n" + "\n".join(entries) + "\n")
    return snap, profile


def _pci_function(path: Path, vendor: str, device: str, cls: str, driver: str) -> None:
    path.mkdir(parents=True)
    for name, value in (("vendor", vendor), ("device", device), ("class", cls), ("revision", "0x01"), ("subsystem_vendor", vendor),
                        ("subsystem_device", "0x000c")):
        (path / name).write_text(value + "\n")
    (path / "driver").symlink_to(f"../../../bus/pci/drivers/{driver}")


def _time(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} exited {proc.returncode}:\n{proc.stdout.decode()[-2000:]}")
    return time.perf_counter() - start


def main() -> int:
    """Run both commands N times, alternating, and print medians and the ratio."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "test_one.py").write_text("def test_one():\n    assert True\n")
        trivial = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--html", str(t / "a.html"), "--self-contained-html", "test_one.py"]
        seed = [sys.executable, "-m", "hwcompat.cli", "run", "--profile", "hosts/x10sae-xen-dom0",
                "--snapshot", str(ROOT / "snapshots/x10sae-xen-dom0"), "--html", str(t / "b.html")]
        a, b = [], []
        for _ in range(runs):
            a.append(_time(trivial, t))
            b.append(_time(seed, ROOT))
    ta, tb = statistics.median(a), statistics.median(b)
    print(f"one-test pytest --html: {ta:.2f}s   seed host on snapshot --html: {tb:.2f}s   ratio {tb / ta:.2f} (budget 1.50), median of {runs}")
    return 0 if tb / ta <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
