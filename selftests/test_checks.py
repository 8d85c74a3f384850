"""Every check can fail: a profile that contradicts the modern X10SAE snapshot on each property
fails every item, and the same properties told truthfully pass."""

from __future__ import annotations

from hwcompat.facts import FactCache
from hwcompat.plan import PLAN, evaluate
from hwcompat.profile.loader import load_text
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import MODERN, REPO

GUEST = REPO / "snapshots" / "xen-guest-tmem"

#: rows whose failures are pinned, with their messages, in test_xen.py
FAILING_IN_TEST_XEN = {
    "xen_cmdline_expectation", "tmem_expectation", "tmem_config_expectation", "tmem_module_expectation", "tmem_param_expectation",
    "tmem_swap_expectation", "tmem_xen_cmdline_expectation", "tmem_activity_expectation", "tmem_selfballooning_expectation",
}
#: rows whose failures are pinned, with their messages, in test_net.py
FAILING_IN_TEST_NET = {
    "net_interface_expectation", "net_forwarding_expectation", "net_rp_filter_expectation", "net_rule_expectation",
    "net_route_expectation", "net_nat_expectation", "net_openvpn_expectation", "net_path_expectation", "net_no_leak_expectation",
}

WRONG_GUEST = """
name: wrong-guest
kernel:
  config: {CONFIG_ZSWAP: y, CONFIG_XEN_TMEM: {any_of: [y]}}
  cmdline: {quiet: absent, tmem: absent, root: {value: {contains: LABEL}}}
  boot_modules: {ext4: listed, tmem: not_listed}
xen: {role: dom0, version: {version: ">=4.13"}}
tmem: {role: guest}
"""

WRONG = """
name: wrong
dmi: {board_name: X11SSL, bios_version: {contains: "9.9"}}
memory: {total_mb: {max: 1024}}
pci:
  unlisted_devices: fail
  devices:
    "8086:1533@03:00.0": {driver: e1000e, subsystem: "15d9:0000", class: "0c03", revision: "99", behind: "00:1c.0"}
    "8086:8c24@00:1f.6": {driver: null}
    "dead:beef": {}
cpu:
  model_name: {contains: EPYC}
  microcode: {min: 0x99}
  flags: {avx512f: required, avx2: forbidden}
kernel:
  release: {version: "<5"}
  modules: {tmem: available, e1000e: absent, igb: not_loaded, xen_netback: loaded}
"""

RIGHT = """
name: right
dmi: {board_name: X10SAE, bios_version: {contains: "3"}}
memory: {total_mb: {min: 15000}}
pci:
  devices:
    "8086:1533@03:00.0": {driver: igb, subsystem: "15d9:1533", class: "0200", revision: "03", behind: "00:1c.3"}
    "8086:8c24@00:1f.6": {driver: intel_pch_thermal}
cpu:
  model_name: {contains: E3-1265L}
  microcode: {min: 0x17}
  flags: {avx2: required, avx512f: forbidden}
kernel:
  release: {version: ">=6.1,<6.2"}
  modules: {kvm: available, tmem: absent, xen_netback: not_loaded, ahci: loaded}
"""


def _results(text: str, snapshot=MODERN) -> dict[str, str]:
    return {item: r.outcome for item, r in evaluate(load_text(text), FactCache(SnapshotSource(snapshot)))}


def _rows(results: dict[str, str], outcome: str) -> set[str]:
    return {item.split("[")[0] for item, o in results.items() if o == outcome}


def test_each_check_fails_on_a_contradiction() -> None:
    results = _results(WRONG)
    # the two devices are present (their properties are what is wrong); dead:beef is the presence failure
    assert {k for k, v in results.items() if v != "failed"} == {"pci_device_expectation[8086:1533@03:00.0]", "pci_device_expectation[8086:8c24@00:1f.6]"}
    guest = _results(WRONG_GUEST, GUEST)
    assert {k for k, v in guest.items() if v == "failed" and not k.startswith("tmem_")} == {
        "kernel_config_expectation[CONFIG_ZSWAP]", "kernel_config_expectation[CONFIG_XEN_TMEM]",
        "kernel_cmdline_expectation[quiet]", "kernel_cmdline_expectation[tmem]", "kernel_cmdline_expectation[root]",
        "kernel_boot_module_expectation[ext4]", "kernel_boot_module_expectation[tmem]",
        "xen_expectation[role]", "xen_expectation[version]"}
    assert _rows(results, "failed") | _rows(guest, "failed") | FAILING_IN_TEST_XEN | FAILING_IN_TEST_NET == set(PLAN)


def test_each_check_passes_on_the_truth() -> None:
    results = _results(RIGHT)
    assert {k for k, v in results.items() if v != "passed"} == set()
    assert {item.split("[")[0] for item in results} == {r for r, row in PLAN.items() if set(row.domains) <= {"pci", "cpu", "kernel", "dmi", "memory"}} - {
        "pci_unlisted_expectation"}
