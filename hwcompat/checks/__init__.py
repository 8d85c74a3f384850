"""Checks: pure functions (expectation, facts) -> CheckResult, one module per facts domain."""

from __future__ import annotations

from hwcompat.facts import Unknown
from hwcompat.matchers import Formatter, Matcher, Scalar, show
from hwcompat.results import CheckResult, cannot_check


def compare(subject: str, matcher: Matcher, found: Scalar | Unknown, source: str, fmt: Formatter = show) -> CheckResult:
    """Compare one value with one matcher; Unknown becomes "cannot check"."""
    expected = matcher.describe(fmt)
    if isinstance(found, Unknown):
        return cannot_check(subject, found.reason, str(matcher.origin), expected)
    if matcher.matches(found):
        return CheckResult("passed", subject, f"{fmt(found)} as expected", expected, fmt(found), str(matcher.origin), source)
    return CheckResult("failed", subject, f"expected {expected}, found {fmt(found)}", expected, fmt(found), str(matcher.origin), source)


# The domain modules import compare() from here, so they are imported after it.
from hwcompat.checks import cpu, dmi, kernel, memory, pci  # noqa: E402

__all__ = ["compare", "cpu", "dmi", "kernel", "memory", "pci"]
from hwcompat.checks import boot, net, tmem, xen  # noqa: E402

__all__ += ["boot", "net", "tmem", "xen"]
