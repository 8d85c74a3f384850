"""The board and BIOS, from DMI."""

from hwcompat import checks
from hwcompat.acceptance import assert_check


def test_dmi_property(expectation, facts):
    """The DMI field matches the profile."""
    assert_check(checks.dmi.field(expectation, facts.dmi))
