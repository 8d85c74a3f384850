"""The CPU: identity and feature flags."""

from hwcompat import checks
from hwcompat.acceptance import assert_check


def test_cpu_property(expectation, facts):
    """The CPU identity field matches the profile."""
    assert_check(checks.cpu.field(expectation, facts.cpu))


def test_cpu_flag(expectation, facts):
    """The CPU flag is present (required) or absent (forbidden)."""
    assert_check(checks.cpu.flag(expectation, facts.cpu))


def test_cpu_cpuid_flag(expectation, facts):
    """The CPU flag is present (or absent) in what CPUID shows user space."""
    assert_check(checks.cpuid.cpuid_flag(expectation, facts.cpuid, facts.cpu))
