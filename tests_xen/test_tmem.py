"""Transcendent Memory: possible here, and set up in the Dom0 or guest."""

from hwcompat import checks
from hwcompat.testing import assert_check


def test_tmem_supported(tmem_expectation, kernel_facts, xen_facts):
    """The kernel and hypervisor can still do tmem in this role."""
    assert_check(checks.tmem.supported(tmem_expectation, kernel_facts, xen_facts))


def test_tmem_config(tmem_config_expectation, kernel_facts, xen_facts, boot_facts):
    """The guest kernel is built with what tmem needs."""
    assert_check(checks.tmem.config(tmem_config_expectation, kernel_facts, xen_facts, boot_facts))


def test_tmem_module(tmem_module_expectation, kernel_facts, xen_facts, boot_facts):
    """The tmem module is loaded and listed to load at boot."""
    assert_check(checks.tmem.module(tmem_module_expectation, kernel_facts, xen_facts, boot_facts))


def test_tmem_param(tmem_param_expectation, kernel_facts, xen_facts, tmem_facts):
    """The tmem feature is switched on."""
    assert_check(checks.tmem.param(tmem_param_expectation, kernel_facts, xen_facts, tmem_facts))


def test_tmem_selfballooning(tmem_selfballooning_expectation, kernel_facts, xen_facts, tmem_facts):
    """Self-ballooning keeps the guest near the memory it needs."""
    assert_check(checks.tmem.selfballooning(tmem_selfballooning_expectation, kernel_facts, xen_facts, tmem_facts))


def test_tmem_swap(tmem_swap_expectation, kernel_facts, xen_facts, boot_facts, tmem_facts):
    """A swap area is active, so frontswap has pages to take."""
    assert_check(checks.tmem.swap(tmem_swap_expectation, kernel_facts, xen_facts, boot_facts, tmem_facts))


def test_tmem_xen_cmdline(tmem_xen_cmdline_expectation, kernel_facts, xen_facts, boot_facts):
    """Tmem is on the hypervisor command line now and at the next boot."""
    assert_check(checks.tmem.xen_cmdline(tmem_xen_cmdline_expectation, kernel_facts, xen_facts, boot_facts))


def test_tmem_activity(tmem_activity_expectation, kernel_facts, xen_facts):
    """Guests put pages into tmem."""
    assert_check(checks.tmem.activity(tmem_activity_expectation, kernel_facts, xen_facts))
