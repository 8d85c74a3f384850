"""COLLECTORS: every facts domain and its collector, by the name checks and profiles use."""

from __future__ import annotations

from collections.abc import Callable

from hwcompat.facts import boot, cpu, dmi, kernel, memory, net, pci, tmem, xen
from hwcompat.sources.base import FactSource

COLLECTORS: dict[str, Callable[[FactSource], object]] = {
    "pci": pci.collect,
    "cpu": cpu.collect,
    "kernel": kernel.collect,
    "dmi": dmi.collect,
    "memory": memory.collect,
    "boot": boot.collect,
    "xen": xen.collect,
    "tmem": tmem.collect,
    "net": net.collect,
}
