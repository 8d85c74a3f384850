"""The first-boot unit: systemd accepts it, it runs hwcompat once, read-only, and keeps the report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from selftests.test_suite import hwcompat


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (apt-get install systemd)")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    proc = hwcompat("firstboot-unit", "--args", "--profile hosts/x10sae-xen-dom0")
    assert proc.returncode == 0
    unit = tmp_path / "hwcompat-firstboot.service"
    unit.write_text(proc.stdout)
    verify = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False)
    assert verify.returncode == 0 and verify.stderr == "", verify.stderr
    assert 'Environment="HWCOMPAT_ARGS=--profile hosts/x10sae-xen-dom0"' in proc.stdout
    assert "ConditionPathExists=!/var/lib/hwcompat/report.json" in proc.stdout and "ProtectSystem=strict" in proc.stdout
    executable = next(line for line in proc.stdout.splitlines() if line.startswith("ExecStart=")).split("=", 1)[1].split()[0]
    assert Path(executable).exists()


def test_arguments_systemd_would_expand_are_refused() -> None:
    proc = hwcompat("firstboot-unit", "--args", "--profile $(reboot)")
    assert proc.returncode == 4 and "systemd would expand" in proc.stderr
