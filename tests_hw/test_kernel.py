"""The running kernel: release and modules."""

from hwcompat import checks
from hwcompat.testing import assert_check


def test_kernel_release(kernel_release_expectation, kernel_facts):
    """The kernel release is within the profile's range."""
    assert_check(checks.kernel.release(kernel_release_expectation, kernel_facts))


def test_kernel_module(kernel_module_expectation, kernel_facts):
    """The kernel module is in the expected state."""
    assert_check(checks.kernel.module(kernel_module_expectation, kernel_facts))


def test_kernel_config(kernel_config_expectation, boot_facts):
    """The kernel was built with the expected option."""
    assert_check(checks.boot.config(kernel_config_expectation, boot_facts))


def test_kernel_cmdline(kernel_cmdline_expectation, boot_facts):
    """The kernel parameter is as expected now and at the next boot."""
    assert_check(checks.boot.cmdline(kernel_cmdline_expectation, boot_facts))


def test_kernel_boot_module(kernel_boot_module_expectation, kernel_facts, boot_facts):
    """The module is listed to load at boot, and loaded now."""
    assert_check(checks.boot.boot_module(kernel_boot_module_expectation, kernel_facts, boot_facts))
