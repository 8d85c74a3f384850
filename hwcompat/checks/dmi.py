"""DMI checks: board vendor/name, BIOS version and the like."""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.facts.dmi import DmiFacts
from hwcompat.profile.model import FieldExpectation
from hwcompat.results import CheckResult


def field(exp: FieldExpectation, facts: DmiFacts) -> CheckResult:
    """One DMI field."""
    return compare(exp.matcher, facts.get(exp.field), f"{facts.origin}/{exp.field}")


def draft_fields(facts: DmiFacts) -> dict[str, object]:
    """Every DMI field that could be read."""
    return {name: value for name, value in facts.values if isinstance(value, str)}
