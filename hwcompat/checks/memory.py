"""Memory checks: total RAM (MiB) the kernel manages."""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.facts import Unknown
from hwcompat.facts.memory import MemoryFacts
from hwcompat.profile.model import FieldExpectation
from hwcompat.results import CheckResult, cannot_check


def field(exp: FieldExpectation, facts: MemoryFacts | Unknown) -> CheckResult:
    """``total_mb``."""
    subject = f"memory {exp.field}"
    if isinstance(facts, Unknown):
        return cannot_check(subject, facts.reason, str(exp.matcher.origin), exp.matcher.describe())
    return compare(subject, exp.matcher, getattr(facts, exp.field), facts.origin)
