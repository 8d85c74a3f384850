"""The whole suite through the real command line, against snapshots: exit codes, and mutations
that each fail exactly their own item."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hwcompat.profile import loader
from selftests.conftest import MODERN, REPO, SEED


def hwcompat(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hwcompat.cli", *args], capture_output=True, text=True, cwd=cwd, check=False)


def run_json(tmp_path: Path, profile: str, snapshot: Path) -> tuple[int, dict[str, str]]:
    out = tmp_path / "r.json"
    proc = hwcompat("run", "--profile", profile, "--snapshot", str(snapshot), "--json", str(out))
    items = {i["test"].split("::", 1)[1]: i["outcome"] for i in json.loads(out.read_text())["items"]}
    return proc.returncode, items


def failed(items: dict[str, str]) -> set[str]:
    return {k for k, v in items.items() if v == "failed"}


def test_seed_host_passes_on_its_snapshot(tmp_path: Path) -> None:
    html, junit = tmp_path / "report.html", tmp_path / "junit.xml"
    proc = hwcompat("run", "--profile", "hosts/x10sae-xen-dom0", "--snapshot", str(SEED), "--html", str(html), "--junitxml", str(junit))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert junit.read_text().count("<testcase ") == 106 and 'failures="0"' in junit.read_text()
    assert "97 passed, 9 skipped" in proc.stdout  # 7 CPU flags a PV Dom0 cannot see, the unlisted devices report, no network section
    page = html.read_text()
    for needle in ("x10sae-xen-dom0", "Supermicro X10SAE", "E3-1265L v3", "3.13-1-amd64", "Chain", "8086:153a@00:19.0", "COMPATIBLE (97 passed)"):
        assert needle in page, needle


def test_board_and_cpu_pass_on_a_current_kernel(tmp_path: Path) -> None:
    for profile in ("boards/supermicro-x10sae", "cpus/intel-xeon-e3-1265l-v3"):
        code, items = run_json(tmp_path, profile, MODERN)
        assert code == 0, failed(items)


def test_dom0_host_profile_fails_bare_metal_only_where_it_should(tmp_path: Path) -> None:
    code, items = run_json(tmp_path, "hosts/x10sae-xen-dom0", MODERN)
    assert code == 1
    assert failed(items) == {"test_cpu_flag[hypervisor]", "test_cpu_property[logical_cpus]",
                             "test_memory_property[total_mb]", "test_kernel_module[xen_netback]",
                             "test_kernel_module[xen_blkback]", "test_kernel_module[xen_gntdev]",
                             "test_kernel_module[xen_evtchn]", "test_kernel_module[xenfs]",
                             "test_kernel_module[kvm_intel]", "test_kernel_module[xen_privcmd]",
                             "test_xen_property[role]", "test_tmem_supported[dom0]"}
    assert items["test_xen_property[dom0_memory_mb]"] == "skipped"


def _mutate_device_gone(snap: Path) -> None:
    (snap / "fs/sys/bus/pci/devices/0000:00:19.0").unlink()


def _mutate_driver_unbound(snap: Path) -> None:
    (snap / "fs/sys/devices/pci0000:00/0000:00:1c.3/0000:03:00.0/driver").unlink()


def _mutate_flag_removed(snap: Path) -> None:
    cpuinfo = snap / "fs/proc/cpuinfo"
    cpuinfo.write_text(cpuinfo.read_text().replace(" avx2", ""))


@pytest.mark.parametrize(("mutate", "item"), [
    (_mutate_device_gone, "test_pci_device[8086:153a@00:19.0]"),
    (_mutate_driver_unbound, "test_pci_device[8086:1533@00:1c.3/00.0]"),
    (_mutate_flag_removed, "test_cpu_flag[avx2]"),
])
def test_single_mutation_fails_exactly_its_item(tmp_path: Path, seed_copy: Path, mutate, item: str) -> None:
    mutate(seed_copy)
    code, items = run_json(tmp_path, "hosts/x10sae-xen-dom0", seed_copy)
    assert code == 1
    assert failed(items) == {item}


def test_a_missing_device_is_one_failure_naming_what_was_not_checked(tmp_path: Path, seed_copy: Path) -> None:
    _mutate_device_gone(seed_copy)
    out = tmp_path / "r.json"
    hwcompat("run", "--profile", "hosts/x10sae-xen-dom0", "--snapshot", str(seed_copy), "--json", str(out))
    [item] = [i for i in json.loads(out.read_text())["items"] if i["outcome"] == "failed"]
    [result] = item["results"]
    assert result["message"] == "missing: no device at 00:19.0 (driver, subsystem, class, behind not checked)"
    assert "parts" not in result


def test_an_unbound_driver_is_one_part_of_its_device(tmp_path: Path, seed_copy: Path) -> None:
    _mutate_driver_unbound(seed_copy)
    out = tmp_path / "r.json"
    hwcompat("run", "--profile", "hosts/x10sae-xen-dom0", "--snapshot", str(seed_copy), "--json", str(out))
    [item] = [i for i in json.loads(out.read_text())["items"] if i["outcome"] == "failed"]
    parts = {p["subject"]: (p["outcome"], p["origin"]) for p in item["results"][0]["parts"]}
    assert parts["driver"][0] == "failed" and parts["driver"][1].startswith("profiles/boards/supermicro-x10sae.yaml:")
    assert {name for name, (outcome, _) in parts.items() if outcome == "passed"} == {"subsystem", "class", "behind"}


def test_unreadable_facts_fail_never_pass(tmp_path: Path, seed_copy: Path) -> None:
    (seed_copy / "fs/proc/cpuinfo").unlink()
    manifest = json.loads((seed_copy / "manifest.json").read_text())
    manifest["recorded"].remove("/proc/cpuinfo")
    (seed_copy / "manifest.json").write_text(json.dumps(manifest))
    code, items = run_json(tmp_path, "hosts/x10sae-xen-dom0", seed_copy)
    cpu_items = {k: v for k, v in items.items() if "test_cpu" in k}
    assert code == 1 and cpu_items and set(cpu_items.values()) == {"failed"}


@pytest.mark.parametrize(("args", "needle"), [
    (("run", "--snapshot", str(REPO / "snapshots/vpn-gateway")), "no shipped profile is for this machine"),
    (("run", "--profile", "selftests/data/profiles/bad-unknown-key.yaml", "--snapshot", str(SEED)), "bad-unknown-key.yaml:3: cpu.famly"),
    (("run", "--profile", "hosts/x10sae-xen-dom0", "--snapshot", "/nonexistent"), "no such directory"),
    (("run", "--bogus"), "unrecognized arguments"),
    (("profiles", "lint", "selftests/data/profiles/bad-duplicate-key.yaml"), "duplicate key"),
    (("capture", "--snapshot", str(SEED), "--out", "/nonexistent/dir/x.yaml"), "directory /nonexistent/dir does not exist"),
    (("run", "--profile", "hosts/x10sae-xen-dom0", "--snapshot", str(SEED), "--json", "/nonexistent/dir/r.json"), "does not exist"),
])
def test_usage_and_profile_errors_exit_4(args: tuple[str, ...], needle: str) -> None:
    proc = hwcompat(*args)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert needle in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_profiles_show_names_file_and_line() -> None:
    proc = hwcompat("profiles", "show", "hosts/x10sae-xen-dom0")
    assert proc.returncode == 0
    assert re.search(r"test_cpu_flag\[hle\]", proc.stdout) is None  # ignored in the cpu profile: no item
    assert re.search(r"test_pci_device\[1000:0072\]\s+present; driver one of 'mpt2sas', 'mpt3sas'; .*\s+profiles/hosts/x10sae-xen-dom0.yaml:\d+",
                     proc.stdout)
    assert re.search(r"test_pci_device\[8086:153a@00:19.0\]\s+present; driver 'e1000e'.*\s+profiles/boards/supermicro-x10sae.yaml:\d+",
                     proc.stdout)


def test_profiles_lint_and_list_ship_clean() -> None:
    assert hwcompat("profiles", "lint").returncode == 0
    assert "hosts/x10sae-xen-dom0" in hwcompat("profiles", "list").stdout


def test_capture_passes_on_its_source_and_extends_writes_less(tmp_path: Path) -> None:
    full, slim = tmp_path / "full.yaml", tmp_path / "slim.yaml"
    assert hwcompat("capture", "--snapshot", str(MODERN), "--out", str(full)).returncode == 0
    proc = hwcompat("capture", "--snapshot", str(MODERN), "--extends", "boards/supermicro-x10sae", "--out", str(slim))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full.yaml", "slim.yaml"]  # nothing the user did not name
    assert "extends:\n- boards/supermicro-x10sae\n" in slim.read_text()
    assert len(slim.read_text()) < len(full.read_text())
    assert "8086:153a@00:19.0" in full.read_text() and "8086:153a@00:19.0" not in slim.read_text()
    for profile in (full, slim):
        code, items = run_json(tmp_path, str(profile), MODERN)
        assert code == 0, failed(items)


def test_capture_extending_a_role_takes_its_parameters_and_the_draft_keeps_them(tmp_path: Path) -> None:
    vlan = REPO / "snapshots/vpn-gateway-vlan"
    given = [f"--param={p.name}={p.value}" for p in loader.load("hosts/vpn-gateway-vlan").params]
    out = tmp_path / "gw.yaml"
    proc = hwcompat("capture", "--snapshot", str(vlan), "--extends", "roles/vpn-split-gateway", *given[:1], "--out", str(out))
    assert proc.returncode == 4 and "have no value" in proc.stderr and not out.exists(), proc.stderr  # every unset one named
    proc = hwcompat("capture", "--snapshot", str(vlan), "--extends", "roles/vpn-split-gateway", *given, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "params:\n  vlan_if: eth0.6\n" in out.read_text()
    code, items = run_json(tmp_path, str(out), vlan)
    assert code == 0 and items["test_network_interface[vlan]"] == "passed", failed(items)
    proc = hwcompat("capture", "--snapshot", str(vlan), "--param", "vlan_if=eth0.6", "--out", str(tmp_path / "none.yaml"))
    assert proc.returncode == 4 and "--param sets parameters of the profiles --extends names" in proc.stderr
    assert not (tmp_path / "none.yaml").exists()


def test_capture_relaxes_what_the_extended_profile_gets_wrong_here(tmp_path: Path, seed_copy: Path) -> None:
    cpuinfo = seed_copy / "fs/proc/cpuinfo"
    cpuinfo.write_text(cpuinfo.read_text().replace(" aes ", " "))
    out = tmp_path / "dom0-cpu.yaml"
    proc = hwcompat("capture", "--snapshot", str(seed_copy), "--extends", "cpus/intel-xeon-e3-1265l-v3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "relaxed: cpu flag aes: required flag is missing, set to ignored" in proc.stderr
    code, items = run_json(tmp_path, str(out), seed_copy)
    assert code == 0, failed(items)


def test_capture_says_what_cannot_pass_here(tmp_path: Path) -> None:
    out = tmp_path / "dom0-on-bare-metal.yaml"
    proc = hwcompat("capture", "--snapshot", str(MODERN), "--extends", "hosts/x10sae-xen-dom0", "--out", str(out))
    assert proc.returncode == 1
    assert "but it cannot pass here" in proc.stderr and "test_xen_property[role]: not running under Xen" in proc.stderr


def test_input_a_parser_cannot_read_is_cannot_check_naming_the_line_and_exit_3(tmp_path: Path, seed_copy: Path) -> None:
    info = seed_copy / "cmd/xl_info"
    info.write_text(info.read_text().replace("max:10240M tmem", 'max:10240M tmem acpi_osi="Windows'))
    out = tmp_path / "r.json"
    proc = hwcompat("run", "--profile", "hosts/x10sae-xen-dom0", "--snapshot", str(seed_copy), "--json", str(out))
    assert proc.returncode == 3, proc.stdout[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "hwcompat could not read some input (exit 3)" in proc.stdout
    items = json.loads(out.read_text())["items"]
    bad = {i["test"].split("::")[1]: i["results"][0]["message"] for i in items if i["outcome"] == "failed"}
    assert set(bad) == {"test_xen_cmdline[dom0_mem]", "test_tmem_xen_cmdline[tmem]"}
    for message in bad.values():
        assert message.startswith("cannot check: xl info xen_commandline line 1: unterminated double quote: ")
        assert 'acpi_osi="Windows' in message
    assert sum(i["outcome"] == "passed" for i in items) == 95  # everything else is still judged


def test_each_skipped_item_carries_only_its_own_data(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    hwcompat("run", "--profile", "hosts/vpn-gateway", "--snapshot", str(REPO / "snapshots/vpn-gateway"), "--json", str(out))
    skipped = [i for i in json.loads(out.read_text())["items"] if i["outcome"] == "skipped"]
    assert len(skipped) == 7
    for item in skipped:
        section = item["test"].split("[no-", 1)[1].rstrip("]")
        assert item["results"] == [] and item["skip_reason"] == f"profile vpn-gateway declares no {section} section"


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    # `hwcompat profiles show P | head -1`: no traceback, no message, the shell's SIGPIPE status.
    # The reading end is closed before the command starts, so its first write fails every time.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "hwcompat.cli", "profiles", "show", "hosts/vpn-gateway"], cwd=REPO,
                              stdout=write_end, stderr=subprocess.PIPE, check=False, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == b""


def test_capture_of_a_snapshot_whose_path_is_not_utf8_writes_a_profile_that_loads(tmp_path: Path) -> None:
    """The description names the path with its undecodable byte escaped (libyaml cannot write a lone surrogate)."""
    odd = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/box\xff"))
    shutil.copytree(MODERN, odd, symlinks=True)
    out = tmp_path / "box.yaml"
    proc = hwcompat("capture", "--snapshot", str(odd), "--out", str(out))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "description: captured from " in out.read_text() and "box\\xff" in out.read_text()


def test_certify_from_snapshots_without_pci_facts_says_so(tmp_path: Path) -> None:
    gateway = REPO / "snapshots"
    out = tmp_path / "board.yaml"
    proc = hwcompat("capture", "--snapshot", str(gateway / "vpn-gateway"), "--snapshot", str(gateway / "vpn-gateway-fixed"), "--out", str(out))
    assert proc.returncode == 4 and "internal error" not in proc.stderr, proc.stderr
    assert "/sys/bus/pci/devices" in proc.stderr and list(tmp_path.iterdir()) == []
