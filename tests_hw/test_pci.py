"""PCI devices of the profile: present, in their place, bound to the right driver."""

from hwcompat import checks
from hwcompat.acceptance import assert_check


def test_pci_device(expectation, facts):
    """The device is present, in its place, with the expected driver and ids."""
    assert_check(checks.pci.device(expectation, facts.pci))


def test_pci_unlisted_devices(expectation, facts):
    """Devices present but not named in the profile are handled as the profile says."""
    assert_check(checks.pci.unlisted(expectation, facts.pci))
