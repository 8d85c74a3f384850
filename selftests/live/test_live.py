"""Live self-tests: use this machine on purpose, read-only (marker ``live``)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hwcompat.facts.cache import DOMAINS, FactCache
from hwcompat.sources.base import walk_pci_sysfs
from hwcompat.sources.live import LiveSource
from hwcompat.sources.recording import RecordingSource, write_snapshot
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import REPO

pytestmark = [pytest.mark.live, pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="not a Linux machine")]


def _plain(facts: object) -> object:
    if dataclasses.is_dataclass(facts) and not isinstance(facts, type):
        return {k: v for k, v in dataclasses.asdict(facts).items() if "origin" not in k}
    return facts


def test_pyudev_and_sysfs_walk_give_the_same_pci_records() -> None:
    pytest.importorskip("pyudev")
    live = LiveSource()
    assert live.pci_devices() == walk_pci_sysfs(live)


def test_snapshot_of_this_machine_replays_to_the_same_facts(tmp_path: Path) -> None:
    rec = RecordingSource(LiveSource())
    recorded = FactCache(rec)
    for domain in DOMAINS:
        _get(recorded, domain)
    out = write_snapshot(rec, tmp_path / "here.tar.gz", "here")
    live, replay = FactCache(LiveSource()), FactCache(SnapshotSource(out))
    for domain in DOMAINS:
        assert _plain(_get(live, domain)) == _plain(_get(replay, domain)), domain.name


def _hwcompat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hwcompat.cli", *args], capture_output=True, text=True, cwd=REPO, check=False)


def test_profile_captured_here_passes_here(tmp_path: Path) -> None:
    out = tmp_path / "here.yaml"
    proc = _hwcompat("capture", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    run = _hwcompat("run", "--profile", str(out))
    assert run.returncode == 0, run.stdout[-3000:]


def test_seed_host_profile_fails_here_naming_each_missing_device(tmp_path: Path) -> None:
    live_ids = {f"{d.id}@{d.slot}" for d in FactCache(LiveSource()).pci.devices}
    if any(i.startswith("8086:0c08@0000:00:00.0") for i in live_ids):
        pytest.skip("this machine looks like an X10SAE")
    result = tmp_path / "r.json"
    proc = _hwcompat("run", "--profile", "hosts/x10sae-xen-dom0", "--json", str(result))
    assert proc.returncode == 1
    items = json.loads(result.read_text())["items"]
    missing = [i for i in items if "test_pci_device[" in i["test"] and i["outcome"] == "failed"]
    assert missing
    for item in missing:
        key = item["test"].split("[", 1)[1].rstrip("]")
        assert key in item["subject"] and "missing" in item["message"]


def test_snapshot_command_records_a_replayable_tarball(tmp_path: Path) -> None:
    out = tmp_path / "this-machine.tar.gz"
    proc = _hwcompat("snapshot", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stderr and out.stat().st_size > 0
    snap = SnapshotSource(out)
    assert snap.manifest["format"] == "hwcompat-snapshot/1"
    again = _hwcompat("snapshot", "--out", str(out))
    assert again.returncode == 4 and "already exists" in again.stderr


def _get(facts: FactCache, domain):
    """A domain's facts, or the reason it could not be collected (so record and replay compare either way)."""
    from hwcompat.errors import CannotCheck

    try:
        return facts.get(domain)
    except CannotCheck as err:
        return f"cannot check: {err.reason}"
