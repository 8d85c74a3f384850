"""Every check can fail: a profile that contradicts the modern X10SAE snapshot on each property
fails every item, and the same properties told truthfully pass."""

from __future__ import annotations

from hwcompat.checks.pci import PROPERTIES
from hwcompat.facts.cache import FactCache
from hwcompat.plan import BY_NAME, evaluate
from hwcompat.profile.loader import load_text
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import MODERN, REPO

GUEST = REPO / "snapshots" / "xen-guest-tmem"

#: kinds whose failures are pinned, with their messages, in test_xen.py
FAILING_IN_TEST_XEN = {
    "test_xen_cmdline", "test_tmem_supported", "test_tmem_config", "test_tmem_module", "test_tmem_param",
    "test_tmem_swap", "test_tmem_xen_cmdline", "test_tmem_activity", "test_tmem_selfballooning",
}
#: kinds whose failures are pinned, with their messages, in test_network.py
FAILING_IN_TEST_NET = {
    "test_network_interface", "test_network_forwarding", "test_network_rp_filter", "test_network_rule",
    "test_network_route", "test_network_nat", "test_network_openvpn", "test_network_path", "test_network_no_leak",
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
    "8086:1533@03:00.0": {driver: e1000e, subsystem: "15d9:0000", class: "0c03", revision: "99", behind: "00:1c.0", numa_node: 1}
    "8086:8c24@00:1f.6": {driver: null}
    "dead:beef": {}
cpu:
  model_name: {contains: EPYC}
  microcode: {min: 0x99}
  flags: {avx512f: required, avx2: forbidden}
  cpuid_flags: {avx512f: required, vmx: forbidden}
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
    "8086:1533@03:00.0": {driver: igb, subsystem: "15d9:1533", class: "0200", revision: "03", behind: "00:1c.3", numa_node: null}
    "8086:8c24@00:1f.6": {driver: intel_pch_thermal}
cpu:
  model_name: {contains: E3-1265L}
  microcode: {min: 0x17}
  flags: {avx2: required, avx512f: forbidden}
  cpuid_flags: {vmx: required, rdrand: required, avx512f: forbidden}
kernel:
  release: {version: ">=6.1,<6.2"}
  modules: {kvm: available, tmem: absent, xen_netback: not_loaded, ahci: loaded}
"""


def _results(text: str, snapshot=MODERN) -> dict[str, str]:
    return {item: r.outcome for item, r in evaluate(load_text(text), FactCache(SnapshotSource(snapshot)))}


def _result(text: str, item: str):
    return dict(evaluate(load_text(text), FactCache(SnapshotSource(MODERN))))[item]


def _rows(results: dict[str, str], outcome: str) -> set[str]:
    return {item.split("[")[0] for item, o in results.items() if o == outcome}


def test_each_check_fails_on_a_contradiction() -> None:
    results = _results(WRONG)
    assert {k for k, v in results.items() if v != "failed"} == set()
    # the two devices are present: each fails on its properties, every one of which is wrong
    parts = {p.subject: p.outcome for p in _result(WRONG, "test_pci_device[8086:1533@03:00.0]").parts}
    assert parts == dict.fromkeys(PROPERTIES, "failed")
    guest = _results(WRONG_GUEST, GUEST)
    assert {k for k, v in guest.items() if v == "failed" and not k.startswith("test_tmem_")} == {
        "test_kernel_config[CONFIG_ZSWAP]", "test_kernel_config[CONFIG_XEN_TMEM]",
        "test_kernel_cmdline[quiet]", "test_kernel_cmdline[tmem]", "test_kernel_cmdline[root]",
        "test_kernel_boot_module[ext4]", "test_kernel_boot_module[tmem]",
        "test_xen_property[role]", "test_xen_property[version]"}
    assert _rows(results, "failed") | _rows(guest, "failed") | FAILING_IN_TEST_XEN | FAILING_IN_TEST_NET == set(BY_NAME)


def test_each_check_passes_on_the_truth() -> None:
    results = _results(RIGHT)
    assert {k for k, v in results.items() if v != "passed"} == set()
    assert {item.split("[")[0] for item in results} == {
        "test_dmi_property", "test_memory_property", "test_pci_device", "test_cpu_property", "test_cpu_flag", "test_cpu_cpuid_flag",
        "test_kernel_release", "test_kernel_module"}
