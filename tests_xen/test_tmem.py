"""Transcendent Memory: possible here, and set up in the Dom0 or guest."""

from hwcompat import checks
from hwcompat.acceptance import assert_check


def test_tmem_supported(expectation, facts):
    """The kernel and hypervisor can still do tmem in this role."""
    assert_check(checks.tmem.supported(expectation, facts.kernel, facts.xen))


def test_tmem_config(expectation, facts):
    """The guest kernel is built with what tmem needs."""
    assert_check(checks.tmem.config(expectation, facts.kernel, facts.xen))


def test_tmem_module(expectation, facts):
    """The tmem module is loaded and listed to load at boot."""
    assert_check(checks.tmem.module(expectation, facts.kernel, facts.xen))


def test_tmem_param(expectation, facts):
    """The tmem feature is switched on."""
    assert_check(checks.tmem.param(expectation, facts.kernel, facts.xen, facts.tmem))


def test_tmem_selfballooning(expectation, facts):
    """Self-ballooning keeps the guest near the memory it needs."""
    assert_check(checks.tmem.selfballooning(expectation, facts.kernel, facts.xen, facts.tmem))


def test_tmem_swap(expectation, facts):
    """A swap area is active, so frontswap has pages to take."""
    assert_check(checks.tmem.swap(expectation, facts.kernel, facts.xen, facts.tmem))


def test_tmem_xen_cmdline(expectation, facts):
    """Tmem is on the hypervisor command line now and at the next boot."""
    assert_check(checks.tmem.xen_cmdline(expectation, facts.kernel, facts.xen))


def test_tmem_activity(expectation, facts):
    """Guests put pages into tmem."""
    assert_check(checks.tmem.activity(expectation, facts.kernel, facts.xen))
