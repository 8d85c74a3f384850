"""The facts domains, and the cache that collects each of them once per run.

A :class:`Domain` names a domain and how to collect it; its type parameter is the facts class,
so ``cache.get(PCI)`` is a :class:`~hwcompat.facts.pci.PciFacts` to mypy. A domain that cannot
be collected at all raises :class:`~hwcompat.errors.CannotCheck` from every ``get``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from hwcompat.errors import CannotCheck
from hwcompat.facts import cpu, dmi, kernel, memory, pci
from hwcompat.facts.cpu import CpuFacts
from hwcompat.facts.dmi import DmiFacts
from hwcompat.facts.kernel import KernelFacts
from hwcompat.facts.memory import MemoryFacts
from hwcompat.facts.pci import PciFacts
from hwcompat.sources.base import FactSource

if TYPE_CHECKING:
    from hwcompat.facts.cpuid import CpuidFacts
    from hwcompat.facts.nat import NatFacts
    from hwcompat.facts.network import NetworkFacts, RouteLookups
    from hwcompat.facts.tmem import TmemFacts
    from hwcompat.facts.xen import XenFacts
    from hwcompat.routing import Query

F_co = TypeVar("F_co", covariant=True)
F = TypeVar("F")


@dataclass(frozen=True, slots=True)
class Domain(Generic[F_co]):
    """One facts domain: its name (also the FactCache attribute tests use) and its collector."""

    name: str
    collect: Callable[[FactCache], F_co]


PCI = Domain("pci", lambda c: pci.collect(c.source))
CPU = Domain("cpu", lambda c: cpu.collect(c.source))
DMI = Domain("dmi", lambda c: dmi.collect(c.source))
MEMORY = Domain("memory", lambda c: memory.collect(c.source))
KERNEL = Domain("kernel", lambda c: kernel.collect(c.source))


# The facts modules below (and the parsers and evaluator they bring) are imported when first
# collected: a profile without a xen, tmem, cpuid_flags or network section never loads them.
def _cpuid(c: FactCache) -> CpuidFacts:
    from hwcompat.facts import cpuid  # noqa: PLC0415

    return cpuid.collect(c.source)


def _xen(c: FactCache) -> XenFacts:
    from hwcompat.facts import xen  # noqa: PLC0415

    return xen.collect(c.source)


def _tmem(c: FactCache) -> TmemFacts:
    from hwcompat.facts import tmem  # noqa: PLC0415

    return tmem.collect(c.source)


# the flags CPUID shows user space: collected only for a profile that asks (cpu.cpuid_flags)
CPUID = Domain("cpuid", _cpuid)
XEN = Domain("xen", _xen)
TMEM = Domain("tmem", _tmem)


def _network(c: FactCache) -> NetworkFacts:
    from hwcompat.facts import network  # noqa: PLC0415

    return network.collect(c.source)


def _nat(c: FactCache) -> NatFacts:
    from hwcompat.facts import nat  # noqa: PLC0415

    return nat.collect(c.source)


def _route_lookups(c: FactCache) -> RouteLookups:
    from hwcompat.facts import network  # noqa: PLC0415

    return network.route_get(c.source, c.route_queries)


NETWORK = Domain("network", _network)
NAT = Domain("nat", _nat)
# the kernel's own answers to the profile's path questions (live: ip route get; never recorded)
ROUTE_LOOKUPS = Domain("route_lookups", _route_lookups)

#: the domains a snapshot records (route look-ups are questions of one profile, not machine state)
DOMAINS: tuple[Domain[object], ...] = (PCI, CPU, CPUID, DMI, MEMORY, KERNEL, XEN, TMEM, NETWORK, NAT)


class FactCache:
    """Collects each domain once per run, on first use.

    :param source: the machine (live) or a snapshot
    :param route_queries: the packets the profile asks about (``network.paths``)
    """

    source: FactSource
    route_queries: tuple[Query, ...]

    def __init__(self, source: FactSource, route_queries: tuple[Query, ...] = ()) -> None:
        self.source = source
        self.route_queries = route_queries
        self._facts: dict[str, object] = {}

    def get(self, domain: Domain[F]) -> F:
        """The facts of one domain. Raises CannotCheck when the domain cannot be collected at all."""
        if domain.name not in self._facts:
            try:
                self._facts[domain.name] = domain.collect(self)
            except CannotCheck as err:
                self._facts[domain.name] = err
        value = self._facts[domain.name]
        if isinstance(value, CannotCheck):
            raise CannotCheck(value.reason, value.broken)
        return value  # type: ignore[return-value]  # stored under domain.name by domain.collect, so an F

    def collected(self) -> frozenset[str]:
        """The domains this run has collected so far (those some item needed)."""
        return frozenset(self._facts)

    @property
    def pci(self) -> PciFacts:
        """PCI devices."""
        return self.get(PCI)

    @property
    def cpu(self) -> CpuFacts:
        """The CPU (/proc/cpuinfo)."""
        return self.get(CPU)

    @property
    def cpuid(self) -> CpuidFacts:
        """The CPU flags CPUID reports to user space."""
        return self.get(CPUID)

    @property
    def dmi(self) -> DmiFacts:
        """Board, BIOS and system strings."""
        return self.get(DMI)

    @property
    def memory(self) -> MemoryFacts:
        """Memory the kernel manages."""
        return self.get(MEMORY)

    @property
    def kernel(self) -> KernelFacts:
        """The running kernel and its boot configuration."""
        return self.get(KERNEL)

    @property
    def xen(self) -> XenFacts:
        """Xen, as this kernel sees it."""
        return self.get(XEN)

    @property
    def tmem(self) -> TmemFacts:
        """The guest side of tmem."""
        return self.get(TMEM)

    @property
    def network(self) -> NetworkFacts:
        """Interfaces, rules, routes, OpenVPN."""
        return self.get(NETWORK)

    @property
    def nat(self) -> NatFacts:
        """The nat tables of every backend."""
        return self.get(NAT)

    @property
    def route_lookups(self) -> RouteLookups:
        """The kernel's answers to the profile's path questions (live only)."""
        return self.get(ROUTE_LOOKUPS)
