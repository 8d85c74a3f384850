"""The Xen hypervisor as this kernel sees it: role, version, command line, memory."""

from hwcompat import checks
from hwcompat.testing import assert_check


def test_xen_property(xen_expectation, xen_facts):
    """The Xen role, version or memory figure matches the profile."""
    assert_check(checks.xen.field(xen_expectation, xen_facts))


def test_xen_cmdline(xen_cmdline_expectation, xen_facts, boot_facts):
    """The hypervisor parameter is as expected now and at the next boot."""
    assert_check(checks.xen.cmdline(xen_cmdline_expectation, xen_facts, boot_facts))
