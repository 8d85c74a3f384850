"""Installed memory as the kernel sees it."""

from hwcompat import checks
from hwcompat.testing import assert_check


def test_memory_property(memory_expectation, memory_facts):
    """The memory size is within the profile's range."""
    assert_check(checks.memory.field(memory_expectation, memory_facts))
