"""CheckResult: the outcome of comparing one expectation with the facts, written for a person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["passed", "failed", "skipped", "waived"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict.

    Checks fill ``outcome``, ``message``, ``expected``, ``found`` and ``source``; the plan adds
    ``subject`` and, where the check did not name a more precise one, ``origin``.

    :ivar message: the sentence a person reads
    :ivar expected: the expectation in words
    :ivar found: what the machine has, in words
    :ivar source: where the fact was read (live path, command or snapshot entry)
    :ivar subject: what was checked, e.g. ``pci 8086:153a@00:19.0 (Intel I217-LM Ethernet)``
    :ivar origin: profile file:line of the expectation
    :ivar parts: one result per property, for an item that checks several (a PCI device)
    :ivar broken: the check needed input hwcompat could not read (the run exits 3)
    :ivar waiver: the waiver that decided it (waived, or failed because the waiver expired)
    :ivar unchecked: a required fact could not be looked at ("cannot check"): failed, but not a verdict on the machine
    :ivar data: the expectation as the profile writes it and the value found, as JSON values, where the check
        compared one value (``("e1000e", "e1000e")``, ``({"min": 9216}, 9728)``); None where only words say it
    """

    outcome: Outcome
    message: str
    expected: str = ""
    found: str = ""
    source: str = ""
    subject: str = ""
    origin: str = ""
    parts: tuple[CheckResult, ...] = ()
    broken: bool = False
    waiver: str = ""
    unchecked: bool = False
    data: tuple[object, object] | None = None

    def text(self) -> str:
        """Multi-line text for the report: message, then expected/found/where lines, then each part."""
        lines = [f"{self.subject}: {self.message}" if self.subject else self.message]
        for label, value in (("expected", self.expected), ("found", self.found), ("profile", self.origin), ("fact", self.source),
                             ("waiver", self.waiver)):
            if value:
                lines.append(f"  {label + ':':9} {value}")
        for part in self.parts:
            mark = {"passed": "ok", "failed": "FAILED", "skipped": "skipped", "waived": "waived"}[part.outcome]
            lines.append(f"  - {part.subject} {mark}: {part.message} ({part.origin})")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        """Plain data for JSON reports."""
        data: dict[str, object] = {k: getattr(self, k) for k in ("outcome", "subject", "message", "expected", "found", "origin", "source")}
        if self.parts:
            data["parts"] = [p.to_json() for p in self.parts]
        if self.broken:
            data["broken"] = True
        if self.waiver:
            data["waiver"] = self.waiver
        if self.unchecked:
            data["unchecked"] = True
        if self.data is not None:
            data["expected_value"], data["found_value"] = self.data
        return data


def passed(message: str, expected: str = "", found: str = "", source: str = "", origin: str = "") -> CheckResult:
    """A check that holds."""
    return CheckResult("passed", message, expected, found, source, origin=origin)


def failed(message: str, expected: str = "", found: str = "", source: str = "", origin: str = "") -> CheckResult:
    """A check that does not hold: the machine contradicts the profile."""
    return CheckResult("failed", message, expected, found, source, origin=origin)


def skipped(message: str, source: str = "", origin: str = "") -> CheckResult:
    """A check that does not apply here (a property of something already reported missing)."""
    return CheckResult("skipped", message, source=source, origin=origin)


def cannot_check(reason: str, expected: str = "", broken: bool = False, origin: str = "") -> CheckResult:
    """A required fact could not be looked at: a failure, never a pass."""
    return CheckResult("failed", f"cannot check: {reason}", expected, origin=origin, broken=broken, unchecked=True)
