"""CheckResult: the outcome of comparing one expectation with the facts, written for a person."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Outcome = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict.

    :ivar subject: what was checked, e.g. ``pci 8086:153a@00:19.0 driver``
    :ivar message: the sentence a person reads
    :ivar expected: the expectation in words
    :ivar found: what the machine has, in words
    :ivar origin: profile file:line of the expectation
    :ivar source: where the fact was read (live path or snapshot entry)
    """

    outcome: Outcome
    subject: str
    message: str
    expected: str = ""
    found: str = ""
    origin: str = ""
    source: str = ""

    def text(self) -> str:
        """Multi-line text for the report: message, then expected/found/where lines."""
        lines = [f"{self.subject}: {self.message}"]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.found:
            lines.append(f"  found:    {self.found}")
        if self.origin:
            lines.append(f"  profile:  {self.origin}")
        if self.source:
            lines.append(f"  fact:     {self.source}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, str]:
        """Plain dict for JSON reports."""
        return asdict(self)


def cannot_check(subject: str, reason: str, origin: str, expected: str = "") -> CheckResult:
    """A required fact could not be looked at: a failure, never a pass."""
    return CheckResult("failed", subject, f"cannot check: {reason}", expected=expected, origin=origin)
