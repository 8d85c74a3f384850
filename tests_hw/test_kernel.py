"""The running kernel: release, modules, build options, command line and boot-time modules."""

from hwcompat import checks
from hwcompat.acceptance import assert_check


def test_kernel_release(expectation, facts):
    """The kernel release is within the profile's range."""
    assert_check(checks.kernel.release(expectation, facts.kernel))


def test_kernel_module(expectation, facts):
    """The kernel module is in the expected state."""
    assert_check(checks.kernel.module(expectation, facts.kernel))


def test_kernel_config(expectation, facts):
    """The kernel was built with the expected option."""
    assert_check(checks.kernel.config(expectation, facts.kernel))


def test_kernel_cmdline(expectation, facts):
    """The kernel parameter is as expected now and at the next boot."""
    assert_check(checks.kernel.cmdline(expectation, facts.kernel))


def test_kernel_boot_module(expectation, facts):
    """The module is listed to load at boot, and loaded now."""
    assert_check(checks.kernel.boot_module(expectation, facts.kernel))
