"""Shared profiles hold for a class of machines: the X10SAE board profile passes every healthy X10SAE
(other CPUs, other cards, other bus numbers) and fails exactly what is wrong; devices behind bridges
are named by path; the bundled published-listing snapshots match their tool."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hwcompat.facts.cache import FactCache
from hwcompat.plan import evaluate
from hwcompat.profile import loader
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import MODERN, REPO, SEED
from selftests.test_suite import hwcompat

CORE_I5 = REPO / "snapshots/x10sae-core-i5"
XEON_RADEON = REPO / "snapshots/x10sae-xeon-radeon"
X10SLM_F = REPO / "snapshots/x10slm-f"


def outcomes(profile: str, snapshot: Path) -> dict[str, str]:
    return {item: r.outcome for item, r in evaluate(loader.load(profile), FactCache(SnapshotSource(snapshot)))}


def failed(profile: str, snapshot: Path) -> set[str]:
    return {item for item, outcome in outcomes(profile, snapshot).items() if outcome == "failed"}


@pytest.mark.parametrize("snapshot", [CORE_I5, XEON_RADEON, SEED, MODERN], ids=lambda p: p.name)
def test_the_board_profile_holds_on_every_published_healthy_x10sae(snapshot: Path) -> None:
    assert failed("boards/supermicro-x10sae", snapshot) == set()


def test_the_sibling_board_reuses_the_chipset_and_holds_on_its_own() -> None:
    assert "chipsets/intel-c220" in " ".join(loader.load("boards/supermicro-x10slm-f").chain)
    assert failed("boards/supermicro-x10slm-f", X10SLM_F) == set()
    wrong = failed("boards/supermicro-x10sae", X10SLM_F)
    assert "test_dmi_property[board_name]" in wrong and "test_pci_device[8086:8c56@00:1f.0]" in wrong  # C226 LPC on a C224


def test_bus_numbers_shift_and_paths_do_not() -> None:
    i210 = {s.name: FactCache(SnapshotSource(s)).pci.by_path("00:1c.3/00.0") for s in (CORE_I5, SEED, XEON_RADEON)}
    assert {name: d.slot for name, d in i210.items() if d} == {
        "x10sae-core-i5": "0000:02:00.0", "x10sae-xen-dom0": "0000:03:00.0", "x10sae-xeon-radeon": "0000:03:00.0"}
    firewire = FactCache(SnapshotSource(XEON_RADEON)).pci.by_path("00:1c.5/00.0/03.0")
    assert firewire is not None and firewire.slot == "0000:06:03.0"


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


@pytest.mark.parametrize(("change", "item"), [
    (lambda s: (s / "fs/sys/bus/pci/devices/0000:00:19.0").unlink(), "test_pci_device[8086:153a@00:19.0]"),
    (lambda s: (s / "fs/sys/devices/pci0000:00/0000:00:1c.3/0000:02:00.0/driver").unlink(), "test_pci_device[8086:1533@00:1c.3/00.0]"),
    (lambda s: (s / "fs/sys/bus/pci/devices/0000:05:00.0").unlink(), "test_pci_device[1912:0015@00:1c.6/00.0]"),
])
def test_one_device_gone_or_unbound_fails_exactly_its_item(tmp_path: Path, change, item: str) -> None:
    snap = _copy(CORE_I5, tmp_path / "board")
    change(snap)
    assert failed("boards/supermicro-x10sae", snap) == {item}


def test_a_host_profile_may_still_pin_a_bus_number_and_it_then_holds_for_that_machine_only(tmp_path: Path) -> None:
    host = tmp_path / "host.yaml"
    host.write_text('name: seed-only\npci:\n  devices:\n    "8086:1533@03:00.0": {driver: igb}\n')
    assert failed(str(host), SEED) == set()
    assert failed(str(host), CORE_I5) == {"test_pci_device[8086:1533@03:00.0]"}  # the I210 is at 02:00.0 there


def test_lint_warns_about_bus_numbers_in_shared_profiles_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert all(not loader.shared_warnings(p) for p in loader.PROFILES_DIR.rglob("*.yaml"))  # the shipped ones use paths
    shared = tmp_path / "profiles"
    (shared / "boards").mkdir(parents=True)
    (shared / "hosts").mkdir()
    text = 'name: x\npci:\n  devices:\n    "8086:1533@03:00.0": {driver: igb, behind: "00:1c.3"}\n'
    (shared / "boards/x.yaml").write_text(text)
    (shared / "hosts/x.yaml").write_text(text)
    monkeypatch.setattr(loader, "PROFILES_DIR", shared)
    assert [w.split(": bus")[0] for w in loader.shared_warnings(shared / "boards/x.yaml")] == [
        f"{loader.display(shared / 'boards/x.yaml')}:4: pci.devices.8086:1533@03:00.0"]
    assert loader.shared_warnings(shared / "hosts/x.yaml") == []


def test_capture_names_devices_behind_bridges_by_path(tmp_path: Path) -> None:
    out = tmp_path / "board.yaml"
    proc = hwcompat("capture", "--snapshot", str(CORE_I5), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "8086:1533@00:1c.3/00.0:" in text and "@02:00.0" not in text
    assert "1b21:0612@00:1c.7/00.0:" in text and "behind: 00:1c.7\n" in text


def test_published_listing_snapshots_match_their_tool() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "tools/snapshot_from_lspci.py"), "--all", "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_certify_from_several_machines_drafts_what_holds_on_all_and_proves_it(tmp_path: Path) -> None:
    board = tmp_path / "board.yaml"
    proc = hwcompat("capture", "--snapshot", str(CORE_I5), "--snapshot", str(XEON_RADEON), "--snapshot", str(SEED), "--out", str(board))
    assert proc.returncode == 0, proc.stderr
    assert "all pass on each of x10sae-i5-4690, x10sae-e3-1245v3, x10sae" in proc.stderr
    text = board.read_text()
    assert "8086:1533@00:1c.3/00.0:" in text and "@03:00.0" not in text and "@02:00.0" not in text
    assert "8086:0c08@00:00.0" not in text and "8086:0c01@00:01.0" not in text  # the CPU's: left to a cpu profile
    assert "# only on some machines: 104c:8023@00:1c.5/00.0/03.0: on x10sae-e3-1245v3, x10sae; not on x10sae-i5-4690" in text
    for snapshot in (CORE_I5, XEON_RADEON, SEED):
        assert failed(str(board), snapshot) == set(), snapshot
    assert failed(str(board), X10SLM_F)  # and it is not a profile for every board


def test_certify_writes_each_machines_differences_as_a_host_profile(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.mkdir()
    board = tmp_path / "board.yaml"
    proc = hwcompat("capture", "--snapshot", str(CORE_I5), "--snapshot", str(XEON_RADEON), "--out", str(board), "--hosts-dir", str(hosts))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in hosts.iterdir()) == ["x10sae-e3-1245v3.yaml", "x10sae-i5-4690.yaml"]
    radeon = (hosts / "x10sae-e3-1245v3.yaml").read_text()
    assert "1002:67df@00:01.0/00.0" in radeon and "extends:\n- ../board.yaml" in radeon
    assert failed(str(hosts / "x10sae-e3-1245v3.yaml"), XEON_RADEON) == set()
    assert failed(str(hosts / "x10sae-e3-1245v3.yaml"), CORE_I5) != set()  # a host profile is that machine's


def test_one_cpu_profile_on_bare_metal_and_in_a_dom0() -> None:
    # bare metal: every flag visible; the PV Dom0: what the PV kernel cannot see is skipped with the evidence, never failed
    assert failed("cpus/intel-xeon-e3-1265l-v3", MODERN) == set()
    dom0 = evaluate(loader.load("cpus/intel-xeon-e3-1265l-v3"), FactCache(SnapshotSource(SEED)))
    assert {i for i, r in dom0 if r.outcome == "failed"} == set()
    vmx = dict(dom0)["test_cpu_flag[vmx]"]
    assert vmx.outcome == "skipped" and "may hide vmx" in vmx.message and "'hypervisor' flag" in vmx.message


def test_cpuid_says_what_user_space_sees_under_xen_pv() -> None:
    results = dict(evaluate(loader.load("hosts/x10sae-xen-dom0"), FactCache(SnapshotSource(SEED))))
    vmx = results["test_cpu_cpuid_flag[vmx]"]
    assert vmx.outcome == "passed"
    assert "CPUID shows user space the chip's own flag, which the kernel under this hypervisor does not list" in vmx.message
    assert vmx.found == "present in CPUID; absent in /proc/cpuinfo"


def test_a_flag_hidden_from_kernel_and_user_space_alike_cannot_be_judged(tmp_path: Path) -> None:
    snap = _copy(SEED, tmp_path / "dom0")
    manifest = snap / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"vmx",', ""))
    profile = tmp_path / "p.yaml"
    profile.write_text("name: p\ncpu:\n  cpuid_flags: {vmx: required}\n")
    [(_, result)] = evaluate(loader.load(profile), FactCache(SnapshotSource(snap)))
    assert result.outcome == "failed" and result.message.startswith("cannot check: vmx is hidden from both the kernel and user space here")
