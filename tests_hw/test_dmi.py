"""The board and BIOS, from DMI."""

from hwcompat import checks
from hwcompat.testing import assert_check


def test_dmi_property(dmi_expectation, dmi_facts):
    """The DMI field matches the profile."""
    assert_check(checks.dmi.field(dmi_expectation, dmi_facts))
