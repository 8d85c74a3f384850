"""The CPU: identity and feature flags."""

from hwcompat import checks
from hwcompat.testing import assert_check


def test_cpu_property(cpu_expectation, cpu_facts):
    """The CPU identity field matches the profile."""
    assert_check(checks.cpu.field(cpu_expectation, cpu_facts))


def test_cpu_flag(cpu_flag_expectation, cpu_facts):
    """The CPU flag is present (required) or absent (forbidden)."""
    assert_check(checks.cpu.flag(cpu_flag_expectation, cpu_facts))
