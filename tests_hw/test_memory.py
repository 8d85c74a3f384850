"""Installed memory as the kernel sees it."""

from hwcompat import checks
from hwcompat.acceptance import assert_check


def test_memory_property(expectation, facts):
    """The memory size is within the profile's range."""
    assert_check(checks.memory.field(expectation, facts.memory))
