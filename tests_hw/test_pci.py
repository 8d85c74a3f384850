"""PCI devices of the profile: present, bound to the right driver, in the right place."""

from hwcompat import checks
from hwcompat.testing import assert_check


def test_pci_device_present(pci_device_expectation, pci_facts):
    """The device is present (at its slot, in the expected number)."""
    assert_check(checks.pci.present(pci_device_expectation, pci_facts))


def test_pci_driver(pci_driver_expectation, pci_facts):
    """The device is bound to the expected kernel driver."""
    assert_check(checks.pci.driver(pci_driver_expectation, pci_facts))


def test_pci_subsystem(pci_subsystem_expectation, pci_facts):
    """The device carries the expected subsystem (board vendor) ids."""
    assert_check(checks.pci.subsystem(pci_subsystem_expectation, pci_facts))


def test_pci_class(pci_class_expectation, pci_facts):
    """The device reports the expected PCI class."""
    assert_check(checks.pci.class_code(pci_class_expectation, pci_facts))


def test_pci_revision(pci_revision_expectation, pci_facts):
    """The device reports the expected revision."""
    assert_check(checks.pci.revision(pci_revision_expectation, pci_facts))


def test_pci_topology(pci_topology_expectation, pci_facts):
    """The device sits behind the expected bridge."""
    assert_check(checks.pci.topology(pci_topology_expectation, pci_facts))


def test_pci_unlisted_devices(pci_unlisted_expectation, pci_facts):
    """Devices present but not named in the profile are handled as the profile says."""
    assert_check(checks.pci.unlisted(pci_unlisted_expectation, pci_facts))
