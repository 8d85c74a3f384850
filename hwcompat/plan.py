"""KINDS: every kind of test item, in one table that the pytest plugin, ``profiles show``, capture and the reports read.

An :class:`ItemKind` says, for one kind of item: its name (the acceptance test function, and the
prefix of every item id: ``test_pci_device[8086:153a@00:19.0]``), the profile section it reads,
the line that documents it (the test's docstring), how to list its expectations from a profile,
the check that decides it and the facts domains that check takes, how messages name an item,
and how ``capture`` drafts its entries from facts. :func:`kind` builds one and lets mypy prove
that the domains' facts types are the ones the check takes.

A profile without a section gets one skipped item "declares no <section>", from the section's
``primary`` kind; the other kinds of that section then give no item.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar, overload

from hwcompat.checks import cpu, cpuid, dmi, kernel, memory, pci, tmem, xen
from hwcompat.errors import CannotCheck
from hwcompat.facts.cache import CPU, CPUID, DMI, KERNEL, MEMORY, NAT, NETWORK, PCI, ROUTE_LOOKUPS, TMEM, XEN, Domain, FactCache
from hwcompat.profile.model import Expectation, NetExpectation, PciSection, Profile, TmemItem
from hwcompat.results import CheckResult, cannot_check


class _Later:
    """A checks module that is imported on the first call of one of its checks (see checks.LATER)."""

    def __init__(self, stem: str) -> None:
        self.module = f"hwcompat.checks.{stem}"

    def __getattr__(self, name: str) -> Callable[..., CheckResult]:
        module = self.module

        def check(*args: object) -> CheckResult:
            return getattr(importlib.import_module(module), name)(*args)  # type: ignore[no-any-return]

        check.__module__, check.__name__, check.__qualname__ = module, name, name
        return check


if TYPE_CHECKING:  # mypy proves the KINDS rows against the real checks
    from hwcompat.checks import nat, network
else:
    nat, network = _Later("nat"), _Later("network")

#: the report's areas, in page order: key, heading, the profile sections they gather
AREAS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("pci", "PCI devices", ("pci",)),
    ("cpu", "CPU", ("cpu",)),
    ("board", "Board and memory", ("dmi", "memory")),
    ("kernel", "Kernel and boot", ("kernel",)),
    ("xen", "Xen", ("xen",)),
    ("tmem", "tmem", ("tmem",)),
    ("network", "Network", ("network",)),
)

E = TypeVar("E", bound=Expectation)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class Draft:
    """How ``capture`` drafts a kind's entries: where they go in the profile, and from which facts."""

    path: tuple[str, ...]
    domain: Domain[object]
    make: Callable[..., dict[str, object]]


@dataclass(frozen=True, slots=True)
class ItemKind:
    """One kind of test item (see the module docstring). Built by :func:`kind`, which checks the types."""

    name: str
    section: str
    doc: str
    label: str
    entries: Callable[[Profile], Sequence[Expectation]]
    check: Callable[..., CheckResult]
    domains: tuple[Domain[object], ...]
    primary: bool = False
    draft: Draft | None = None

    def item_id(self, exp: Expectation) -> str:
        """The item's id everywhere: pytest, evaluate(), JSON, messages."""
        return f"{self.name}[{exp.key}]"

    def subject(self, exp: Expectation) -> str:
        """How messages name the item: ``pci 8086:153a@00:19.0 (Intel I217-LM Ethernet)``."""
        return f"{self.label} {exp.key}" + (f" ({exp.title})" if exp.title else "")

    def finish(self, exp: Expectation, result: CheckResult) -> CheckResult:
        """A check's result with the item's subject, and the expectation's profile line where the check named none."""
        return replace(result, subject=self.subject(exp), origin=result.origin or str(exp.origin))

    def cannot_check(self, exp: Expectation, err: CannotCheck) -> CheckResult:
        """The failing item for facts that could not be looked at (or read)."""
        return self.finish(exp, cannot_check(err.reason, exp.describe(), err.broken))

    def run(self, exp: Expectation, facts: FactCache) -> CheckResult:
        """Decide one item against the facts (what a test of this kind does, without pytest)."""
        try:
            return self.finish(exp, self.check(exp, *(facts.get(d) for d in self.domains)))
        except CannotCheck as err:
            return self.cannot_check(exp, err)


@overload
def kind(name: str, section: str, doc: str, label: str, entries: Callable[[Profile], Sequence[E]],
         check: Callable[[E, A], CheckResult], domains: tuple[Domain[A]], *, primary: bool = False,
         draft: tuple[tuple[str, ...], Callable[[A], dict[str, object]]] | None = None) -> ItemKind: ...
@overload
def kind(name: str, section: str, doc: str, label: str, entries: Callable[[Profile], Sequence[E]],
         check: Callable[[E, A, B], CheckResult], domains: tuple[Domain[A], Domain[B]], *, primary: bool = False,
         draft: None = None) -> ItemKind: ...
@overload
def kind(name: str, section: str, doc: str, label: str, entries: Callable[[Profile], Sequence[E]],
         check: Callable[[E, A, B, C], CheckResult], domains: tuple[Domain[A], Domain[B], Domain[C]], *, primary: bool = False,
         draft: None = None) -> ItemKind: ...
def kind(name: str, section: str, doc: str, label: str, entries: Callable[[Profile], Sequence[E]],
         check: Callable[..., CheckResult], domains: tuple[Domain[object], ...], *, primary: bool = False,
         draft: tuple[tuple[str, ...], Callable[..., dict[str, object]]] | None = None) -> ItemKind:
    """Build an ItemKind; the overloads make mypy check that ``check`` takes the ``domains``' facts, in order."""
    drafting = Draft(draft[0], domains[0], draft[1]) if draft else None
    return ItemKind(name, section, doc, label, entries, check, domains, primary, drafting)


def _net(section: str) -> Callable[[Profile], Sequence[NetExpectation]]:
    return lambda p: [e for e in p.network if e.kind == section]


def _tmem(role: str, names: Sequence[str]) -> Callable[[Profile], Sequence[TmemItem]]:
    def items(p: Profile) -> list[TmemItem]:
        if not p.tmem or p.tmem[0].matcher.to_data() != role:
            return []
        return [TmemItem(role, n, p.tmem[0].origin) for n in names]
    return items


def _tmem_role(p: Profile) -> list[TmemItem]:
    return [TmemItem(str(e.matcher.to_data()), str(e.matcher.to_data()), e.origin) for e in p.tmem]


def _unlisted(p: Profile) -> list[PciSection]:
    return [p.pci] if p.pci and p.pci.unlisted != "ignore" else []


GUEST_CONFIG = tuple(tmem.GUEST_CONFIG)

KINDS: tuple[ItemKind, ...] = (
    kind("test_dmi_property", "dmi", "The DMI field matches the profile.", "dmi",
         lambda p: p.dmi, dmi.field, (DMI,), primary=True, draft=(("dmi",), dmi.draft_fields)),
    kind("test_memory_property", "memory", "The memory size is within the profile's range.", "memory",
         lambda p: p.memory, memory.field, (MEMORY,), primary=True, draft=(("memory",), memory.draft_fields)),
    kind("test_pci_device", "pci", "The device is present, in its place, with the expected driver and ids.", "pci",
         lambda p: p.pci.devices if p.pci else (), pci.device, (PCI,), primary=True, draft=(("pci", "devices"), pci.draft_devices)),
    kind("test_pci_unlisted_devices", "pci", "Devices present but not named in the profile are handled as the profile says.", "pci",
         _unlisted, pci.unlisted, (PCI,)),
    kind("test_cpu_property", "cpu", "The CPU identity field matches the profile.", "cpu",
         lambda p: p.cpu, cpu.field, (CPU,), primary=True, draft=(("cpu",), cpu.draft_fields)),
    kind("test_cpu_flag", "cpu", "The CPU flag is present (required) or absent (forbidden).", "cpu flag",
         lambda p: [f for f in p.cpu_flags if f.state != "ignored"], cpu.flag, (CPU,), draft=(("cpu", "flags"), cpu.draft_flags)),
    kind("test_cpu_cpuid_flag", "cpu", "The CPU flag is present (or absent) in what CPUID shows user space.", "cpuid flag",
         lambda p: [f for f in p.cpuid_flags if f.state != "ignored"], cpuid.cpuid_flag, (CPUID, CPU)),
    kind("test_kernel_release", "kernel", "The kernel release is within the profile's range.", "kernel",
         lambda p: p.kernel_release, kernel.release, (KERNEL,), primary=True, draft=(("kernel",), kernel.draft_release)),
    kind("test_kernel_module", "kernel", "The kernel module is in the expected state.", "kernel module",
         lambda p: p.kernel_modules, kernel.module, (KERNEL,), draft=(("kernel", "modules"), kernel.draft_modules)),
    kind("test_kernel_config", "kernel", "The kernel was built with the expected option.", "kernel config",
         lambda p: p.kernel_config, kernel.config, (KERNEL,)),
    kind("test_kernel_cmdline", "kernel", "The kernel parameter is as expected now and at the next boot.", "kernel cmdline",
         lambda p: p.kernel_cmdline, kernel.cmdline, (KERNEL,)),
    kind("test_kernel_boot_module", "kernel", "The module is listed to load at boot, and loaded now.", "kernel boot module",
         lambda p: p.kernel_boot_modules, kernel.boot_module, (KERNEL,)),
    kind("test_xen_property", "xen", "The Xen role, version or memory figure matches the profile.", "xen",
         lambda p: p.xen, xen.field, (XEN,), primary=True, draft=(("xen",), xen.draft_fields)),
    kind("test_xen_cmdline", "xen", "The hypervisor parameter is as expected now and at the next boot.", "xen cmdline",
         lambda p: p.xen_cmdline, xen.cmdline, (XEN, KERNEL)),
    kind("test_tmem_supported", "tmem", "The kernel and hypervisor can still do tmem in this role.", "tmem supported for",
         _tmem_role, tmem.supported, (KERNEL, XEN), primary=True),
    kind("test_tmem_config", "tmem", "The guest kernel is built with what tmem needs.", "tmem kernel config",
         _tmem("guest", GUEST_CONFIG), tmem.config, (KERNEL, XEN)),
    kind("test_tmem_module", "tmem", "The tmem module is loaded and listed to load at boot.", "tmem module",
         _tmem("guest", ("tmem",)), tmem.module, (KERNEL, XEN)),
    kind("test_tmem_param", "tmem", "The tmem feature is switched on.", "tmem parameter",
         _tmem("guest", tmem.GUEST_PARAMS), tmem.param, (KERNEL, XEN, TMEM)),
    kind("test_tmem_selfballooning", "tmem", "Self-ballooning keeps the guest near the memory it needs.", "tmem",
         _tmem("guest", ("selfballooning",)), tmem.selfballooning, (KERNEL, XEN, TMEM)),
    kind("test_tmem_swap", "tmem", "A swap area is active, so frontswap has pages to take.", "tmem",
         _tmem("guest", ("swap",)), tmem.swap, (KERNEL, XEN, TMEM)),
    kind("test_tmem_xen_cmdline", "tmem", "Tmem is on the hypervisor command line now and at the next boot.", "xen cmdline",
         _tmem("dom0", ("tmem",)), tmem.xen_cmdline, (KERNEL, XEN)),
    kind("test_tmem_activity", "tmem", "Guests put pages into tmem.", "tmem activity of",
         _tmem("dom0", ("guests",)), tmem.activity, (KERNEL, XEN)),
    kind("test_network_interface", "network", "The interface exists as the profile describes it.", "network interface",
         _net("interfaces"), network.interface, (NETWORK,), primary=True),
    kind("test_network_forwarding", "network", "IPv4 forwarding is as the profile says.", "network",
         _net("forwarding"), network.forwarding, (NETWORK,)),
    kind("test_network_rp_filter", "network", "Reverse-path filtering lets the routed traffic through.", "network rp_filter",
         _net("rp_filter"), network.rp_filter, (NETWORK,)),
    kind("test_network_rule", "network", "The policy rule is in place at its priority.", "network rule",
         _net("rules"), network.rule, (NETWORK,)),
    kind("test_network_route", "network", "The route is in its table.", "network route",
         _net("routes"), network.route, (NETWORK,)),
    kind("test_network_nat", "network", "Traffic leaving through the interface is masqueraded.", "network nat",
         _net("nat"), nat.nat, (NAT,)),
    kind("test_network_openvpn", "network", "The OpenVPN client is configured as the policy routing needs.", "network openvpn",
         _net("openvpn"), network.openvpn, (NETWORK,)),
    kind("test_network_path", "network", "The traffic leaves through the expected interface.", "network path",
         _net("paths"), network.path, (NETWORK, ROUTE_LOOKUPS)),
    kind("test_network_no_leak", "network", "With the tunnel down, the traffic is dropped rather than leaked.", "network no_leak",
         _net("no_leak"), network.no_leak, (NETWORK,)),
)

BY_NAME: dict[str, ItemKind] = {k.name: k for k in KINDS}


def items(profile: Profile) -> list[tuple[ItemKind, Expectation]]:
    """Every item of a profile, in table order."""
    return [(k, exp) for k in KINDS for exp in k.entries(profile)]


def evaluate(profile: Profile, facts: FactCache, waive: Callable[[str, CheckResult], CheckResult] | None = None) -> list[tuple[str, CheckResult]]:
    """Every item of the profile with its result, by item id: what a run decides, without pytest.

    :param waive: applies the run's waivers (``Waivers.apply``), when there are any
    """
    out = [(k.item_id(exp), k.run(exp, facts)) for k, exp in items(profile)]
    return [(item, waive(item, result)) for item, result in out] if waive else out
