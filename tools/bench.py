"""Benchmark: the seed run on its snapshot vs a trivial one-test pytest run, both with --html.

    ./dev bench [--runs N]

Prints the median wall time of each and their ratio (the budget in DESIGN.md is 1.5x).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
