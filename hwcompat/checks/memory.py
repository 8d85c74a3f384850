"""Memory checks: total RAM (MiB) the kernel manages."""

from __future__ import annotations

import math

from hwcompat.checks import compare
from hwcompat.facts.memory import MemoryFacts
from hwcompat.profile.model import FieldExpectation
from hwcompat.results import CheckResult


def field(exp: FieldExpectation, facts: MemoryFacts) -> CheckResult:
    """``total_mb``."""
    return compare(exp.matcher, getattr(facts, exp.field), facts.origin)


def draft_fields(facts: MemoryFacts) -> dict[str, object]:
    """The memory size within 5% (firmware and kernel versions reserve slightly different amounts)."""
    return {"total_mb": {"min": math.floor(facts.total_mb * 0.95), "max": math.ceil(facts.total_mb * 1.05)}}
