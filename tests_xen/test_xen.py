"""The Xen hypervisor as this kernel sees it: role, version, command line, memory."""

from hwcompat import checks
from hwcompat.acceptance import assert_check


def test_xen_property(expectation, facts):
    """The Xen role, version or memory figure matches the profile."""
    assert_check(checks.xen.field(expectation, facts.xen))


def test_xen_cmdline(expectation, facts):
    """The hypervisor parameter is as expected now and at the next boot."""
    assert_check(checks.xen.cmdline(expectation, facts.xen, facts.kernel))
