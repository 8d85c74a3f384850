"""The running kernel: release and modules."""

from hwcompat import checks
from hwcompat.testing import assert_check


def test_kernel_release(kernel_release_expectation, kernel_facts):
    """The kernel release is within the profile's range."""
    assert_check(checks.kernel.release(kernel_release_expectation, kernel_facts))


def test_kernel_module(kernel_module_expectation, kernel_facts):
    """The kernel module is in the expected state."""
    assert_check(checks.kernel.module(kernel_module_expectation, kernel_facts))
