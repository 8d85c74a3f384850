"""PLAN: which test items a profile produces, and which check decides each.

One row per parametrized fixture: the facts domains its check takes (in order), the profile section it reads (a
profile without that section gets one skipped item "declares no <section>", from the section's
``primary`` row; other rows then give no item), a function listing ``(test id, expectation)`` pairs from the profile,
and the check. The pytest plugin parametrizes from this table; ``evaluate`` runs the same table
in-process (used by ``capture`` to prove a draft passes, and by the self-tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hwcompat.checks import boot, cpu, dmi, kernel, memory, net, pci, tmem, xen
from hwcompat.facts import FactCache
from hwcompat.profile.model import Profile, TmemItem
from hwcompat.results import CheckResult

Lister = Callable[[Profile], list[tuple[str, Any]]]


@dataclass(frozen=True, slots=True)
class Row:
    """One kind of test item."""

    domains: tuple[str, ...]
    section: str
    items: Lister
    check: Callable[..., CheckResult]
    primary: bool = False


def _tmem(role: str, names: tuple[str, ...]) -> Lister:
    def items(p: Profile) -> list[tuple[str, Any]]:
        if not p.tmem or p.tmem[0].matcher.to_data() != role:
            return []
        return [(n, TmemItem(role, n, p.tmem[0].matcher.origin)) for n in names]
    return items


def _net(kind: str) -> Lister:
    return lambda p: [(f"{e.key}:{e.prop}" if e.prop else e.key, e) for e in p.network if e.kind == kind]


def _pci(prop: str) -> Lister:
    return lambda p: [(d.key, d) for d in (p.pci.devices if p.pci else ()) if d.prop(prop) is not None]


PLAN: dict[str, Row] = {
    "pci_device_expectation": Row(("pci",), "pci", lambda p: [(d.key, d) for d in (p.pci.devices if p.pci else ())], pci.present, primary=True),
    "pci_driver_expectation": Row(("pci",), "pci", _pci("driver"), pci.driver),
    "pci_subsystem_expectation": Row(("pci",), "pci", _pci("subsystem"), pci.subsystem),
    "pci_class_expectation": Row(("pci",), "pci", _pci("class"), pci.class_code),
    "pci_revision_expectation": Row(("pci",), "pci", _pci("revision"), pci.revision),
    "pci_topology_expectation": Row(("pci",), "pci", _pci("behind"), pci.topology),
    "pci_unlisted_expectation": Row(
        ("pci",), "pci",
        lambda p: [("unlisted", p.pci)] if p.pci and p.pci.unlisted != "ignore" else [], pci.unlisted),
    "cpu_expectation": Row(("cpu",), "cpu", lambda p: [(e.field, e) for e in p.cpu], cpu.field, primary=True),
    "cpu_flag_expectation": Row(
        ("cpu",), "cpu", lambda p: [(f.flag, f) for f in p.cpu_flags if f.state != "ignored"], cpu.flag),
    "kernel_release_expectation": Row(("kernel",), "kernel", lambda p: [(e.field, e) for e in p.kernel_release], kernel.release, primary=True),
    "kernel_module_expectation": Row(("kernel",), "kernel", lambda p: [(m.name, m) for m in p.kernel_modules], kernel.module),
    "dmi_expectation": Row(("dmi",), "dmi", lambda p: [(e.field, e) for e in p.dmi], dmi.field, primary=True),
    "memory_expectation": Row(("memory",), "memory", lambda p: [(e.field, e) for e in p.memory], memory.field, primary=True),
    "kernel_config_expectation": Row(("boot",), "kernel", lambda p: [(e.field, e) for e in p.kernel_config], boot.config),
    "kernel_cmdline_expectation": Row(("boot",), "kernel", lambda p: [(e.name, e) for e in p.kernel_cmdline], boot.cmdline),
    "kernel_boot_module_expectation": Row(
        ("kernel", "boot"), "kernel", lambda p: [(m.name, m) for m in p.kernel_boot_modules], boot.boot_module),
    "xen_expectation": Row(("xen",), "xen", lambda p: [(e.field, e) for e in p.xen], xen.field, primary=True),
    "xen_cmdline_expectation": Row(("xen", "boot"), "xen", lambda p: [(e.name, e) for e in p.xen_cmdline], xen.cmdline),
    "tmem_expectation": Row(
        ("kernel", "xen"), "tmem",
        lambda p: [(str(p.tmem[0].matcher.to_data()), TmemItem(str(p.tmem[0].matcher.to_data()), "supported", p.tmem[0].matcher.origin))]
        if p.tmem else [],
        tmem.supported, primary=True),
    "tmem_config_expectation": Row(("kernel", "xen", "boot"), "tmem", _tmem("guest", tuple(tmem.GUEST_CONFIG)), tmem.config),
    "tmem_module_expectation": Row(("kernel", "xen", "boot"), "tmem", _tmem("guest", ("tmem",)), tmem.module),
    "tmem_param_expectation": Row(("kernel", "xen", "tmem"), "tmem", _tmem("guest", tmem.GUEST_PARAMS), tmem.param),
    "tmem_selfballooning_expectation": Row(("kernel", "xen", "tmem"), "tmem", _tmem("guest", ("selfballooning",)), tmem.selfballooning),
    "tmem_swap_expectation": Row(("kernel", "xen", "boot", "tmem"), "tmem", _tmem("guest", ("swap",)), tmem.swap),
    "tmem_xen_cmdline_expectation": Row(("kernel", "xen", "boot"), "tmem", _tmem("dom0", ("tmem",)), tmem.xen_cmdline),
    "tmem_activity_expectation": Row(("kernel", "xen"), "tmem", _tmem("dom0", ("guests",)), tmem.activity),
    "net_interface_expectation": Row(("net",), "network", _net("interfaces"), net.interface, primary=True),
    "net_forwarding_expectation": Row(("net",), "network", _net("forwarding"), net.forwarding),
    "net_rp_filter_expectation": Row(("net",), "network", _net("rp_filter"), net.rp_filter),
    "net_rule_expectation": Row(("net",), "network", _net("rules"), net.rule),
    "net_route_expectation": Row(("net",), "network", _net("routes"), net.route),
    "net_nat_expectation": Row(("net",), "network", _net("nat"), net.nat),
    "net_openvpn_expectation": Row(("net",), "network", _net("openvpn"), net.openvpn),
    "net_path_expectation": Row(("net", "route_get"), "network", _net("paths"), net.path),
    "net_no_leak_expectation": Row(("net",), "network", _net("no_leak"), net.no_leak),
}


def evaluate(profile: Profile, facts: FactCache) -> list[tuple[str, CheckResult]]:
    """Every item of the profile with its result, ids as ``fixture[id]`` (no kernel route look-ups)."""
    out = []
    for name, row in PLAN.items():
        for item_id, exp in row.items(profile):
            out.append((f"{name}[{item_id}]", row.check(exp, *(facts.get(d) for d in row.domains))))
    return out
