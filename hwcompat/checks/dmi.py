"""DMI checks: board vendor/name, BIOS version and the like."""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.facts import Unknown
from hwcompat.facts.dmi import DmiFacts
from hwcompat.profile.model import FieldExpectation
from hwcompat.results import CheckResult, cannot_check


def field(exp: FieldExpectation, facts: DmiFacts | Unknown) -> CheckResult:
    """One DMI field."""
    subject = f"dmi {exp.field}"
    if isinstance(facts, Unknown):
        return cannot_check(subject, facts.reason, str(exp.matcher.origin), exp.matcher.describe())
    return compare(subject, exp.matcher, facts.get(exp.field), f"{facts.origin}/{exp.field}")
