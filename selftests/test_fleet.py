"""hwcompat fleet: every host judged as `hwcompat run` judges it, bad snapshots as rows of their own."""

from __future__ import annotations

import gzip
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from hwcompat.fleet import run_fleet
from selftests.conftest import REPO, SEED
from selftests.test_suite import hwcompat

SNAPS = REPO / "snapshots"


def _variant(tmp_path: Path, name: str, change: str) -> Path:
    snap = tmp_path / name
    shutil.copytree(SEED, snap, symlinks=True)
    if change == "nic-missing":
        shutil.rmtree(snap / "fs/sys/devices/pci0000:00/0000:00:19.0")
        (snap / "fs/sys/bus/pci/devices/0000:00:19.0").unlink()
        (snap / "fs/proc/sys/kernel/hostname").write_text("x10sae-b\n")
        manifest = json.loads((snap / "manifest.json").read_text())
        manifest["hostname"] = "x10sae-b"
        (snap / "manifest.json").write_text(json.dumps(manifest))
    elif change == "newer-format":
        manifest = json.loads((snap / "manifest.json").read_text())
        manifest["format"] = "hwcompat-snapshot/2"
        manifest["hostname"] = "x10sae-c"
        (snap / "manifest.json").write_text(json.dumps(manifest))
    return snap


def _cut_tarball(tmp_path: Path) -> Path:
    """A collector killed half-way through writing its tarball."""
    full = tmp_path / "full.tar.gz"
    with tarfile.open(full, "w:gz") as tar:
        tar.add(SEED, arcname="x10sae")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(full.read_bytes()[: len(full.read_bytes()) // 2])
    return cut


def test_a_fleet_with_a_bad_board_a_twin_and_broken_snapshots(tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(SEED, twin, symlinks=True)
    snapshots = [SEED, SNAPS / "x10sae-core-i5", _variant(tmp_path, "bad", "nic-missing"), twin, _variant(tmp_path, "newer", "newer-format"),
                 _cut_tarball(tmp_path), SNAPS / "vpn-gateway", tmp_path / "nonexistent"]
    html, out = tmp_path / "fleet.html", tmp_path / "fleet.json"
    proc = hwcompat("fleet", *map(str, snapshots), "--html", str(html), "--json", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    rows = {Path(r["snapshot"]).name: r for r in data["hosts"]}
    assert rows["x10sae-xen-dom0"]["verdict"] == "compatible" and rows["x10sae-core-i5"]["verdict"] == "compatible"
    assert rows["bad"]["verdict"] == "not_compatible"
    assert [i["id"] for i in rows["bad"]["failing"]] == ["test_pci_device[8086:153a@00:19.0]"]
    assert rows["twin"]["duplicate_of"] == [str(SEED)] and rows["x10sae-xen-dom0"]["duplicate_of"] == [str(twin)]
    assert rows["newer"]["verdict"] == "unreadable" and "format must be 'hwcompat-snapshot/1'" in rows["newer"]["error"]
    assert rows["cut.tar.gz"]["verdict"] == "unreadable" and "cut.tar.gz" in rows["cut.tar.gz"]["error"]
    assert rows["vpn-gateway"]["verdict"] == "no_profile" and "no shipped profile is for this machine" in rows["vpn-gateway"]["error"]
    assert rows["nonexistent"]["verdict"] == "unreadable"
    assert data["failing_items"] == [{"id": "test_pci_device[8086:153a@00:19.0]", "hosts": ["x10sae-b"]}]
    page = html.read_text()
    assert 'id="hosts"' in page and "test_pci_device[8086:153a@00:19.0]" in page
    for row in data["hosts"]:
        if row["report"]:
            host_page = (html.parent / row["report"]).read_text()
            assert row["verdict_text"] in host_page and f'href="{row["report"]}"' in page


@pytest.mark.parametrize(("profile", "name"), [("hosts/x10sae-xen-dom0", "x10sae-xen-dom0"), ("hosts/vpn-gateway", "vpn-gateway"),
                                               ("hosts/xen-guest-tmem", "xen-guest-tmem"), ("roles/xen-dom0-tmem", "debian12-xen-dom0")])
def test_the_fleet_judges_each_host_as_a_run_does(tmp_path: Path, profile: str, name: str) -> None:
    out = tmp_path / "run.json"
    hwcompat("run", "--profile", profile, "--snapshot", str(SNAPS / name), "--json", str(out))
    run = json.loads(out.read_text())
    [row] = run_fleet([str(SNAPS / name)], profile, {}, None, 1)
    assert (row.verdict, row.verdict_text, row.counts) == (run["verdict"], run["verdict_text"], run["counts"])
    assert {i["id"] for i in row.failing} == {i["id"] for i in run["items"] if i["status"] in ("failed", "cannot_check")}


def test_parallel_and_sequential_agree(tmp_path: Path) -> None:
    snaps = [str(SNAPS / n) for n in ("x10sae-xen-dom0", "x10sae-core-i5", "x10sae-xeon-radeon", "x10slm-f")]
    one = [(r.host, r.verdict_text, r.failing) for r in run_fleet(snaps, None, {}, None, 1)]
    two = [(r.host, r.verdict_text, r.failing) for r in run_fleet(snaps, None, {}, None, 2)]
    assert one == two and len(one) == 4


def test_a_gzip_cut_short_is_never_taken_for_a_snapshot(tmp_path: Path) -> None:
    cut = _cut_tarball(tmp_path)
    with pytest.raises((EOFError, OSError)):
        gzip.decompress(cut.read_bytes())
    [row] = run_fleet([str(cut)], "hosts/x10sae-xen-dom0", {}, None, 1)
    assert row.verdict == "unreadable"


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_a_job_count_below_one_is_a_usage_error(jobs: str) -> None:
    proc = hwcompat("fleet", str(SEED), "--jobs", jobs)
    assert proc.returncode == 4 and "Traceback" not in proc.stderr and "--jobs" in proc.stderr


def test_a_param_without_a_value_is_a_usage_error_not_an_empty_value(tmp_path: Path) -> None:
    """`--param lan_if` once set lan_if to '' and judged the gateway NOT COMPATIBLE by it (exit 1)."""
    snapshot, profile = str(REPO / "snapshots/vpn-gateway-fixed"), "hosts/vpn-gateway"
    assert hwcompat("fleet", snapshot, "--profile", profile).returncode == 0
    proc = hwcompat("fleet", snapshot, "--profile", profile, "--param", "lan_if")
    assert proc.returncode == 4 and "--param: lan_if: write it as NAME=VALUE" in proc.stderr, proc.stderr
