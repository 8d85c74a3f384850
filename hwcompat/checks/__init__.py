"""Checks: pure functions (expectation, facts) -> CheckResult, one module per facts domain.

A check compares; it never reads or parses. Facts it needs but that could not be looked at
raise :class:`~hwcompat.errors.CannotCheck` (through :func:`hwcompat.facts.known`), which the
plan turns into the failing "cannot check" item. Subject and profile origin are added by the plan.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING

from hwcompat.facts import Unknown, known
from hwcompat.matchers import Formatter, Matcher, Scalar, show
from hwcompat.results import CheckResult, failed, passed


def compare(matcher: Matcher, found: Scalar | Unknown, source: str, fmt: Formatter = show) -> CheckResult:
    """Compare one value with one matcher (raises CannotCheck for an Unknown value)."""
    value = known(found)
    expected = matcher.describe(fmt)
    if matcher.matches(value):
        result = passed(f"{fmt(value)} as expected", expected, fmt(value), source)
    else:
        result = failed(f"expected {expected}, found {fmt(value)}", expected, fmt(value), source)
    return replace(result, data=(matcher.to_data(), value))


# The domain modules import compare() from here, so they are imported after it (tests call checks.<domain>.<check>).
from hwcompat.checks import cpu, cpuid, dmi, kernel, memory, pci, tmem, xen  # noqa: E402

if TYPE_CHECKING:
    from hwcompat.checks import nat, network

#: loaded on first use: the routing evaluator, the NAT walk and their parsers are a fifth of a run's
#: import time, and a profile without a network section never needs them
LATER = ("nat", "network")


def __getattr__(name: str) -> ModuleType:
    if name in LATER:
        return importlib.import_module(f"hwcompat.checks.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["compare", "cpu", "cpuid", "dmi", "kernel", "memory", "nat", "network", "pci", "tmem", "xen"]
