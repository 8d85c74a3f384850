"""PCI checks: presence and count, then properties of present devices (driver, ids, topology).

A property of a device that is not there is skipped with the reason, so one missing device is
one failure, not five.
"""

from __future__ import annotations

from collections.abc import Callable

from hwcompat.checks import compare
from hwcompat.facts import Unknown
from hwcompat.facts.pci import PciFacts
from hwcompat.matchers import Matcher, Range, Scalar, show
from hwcompat.parsers.sysfs_pci import PciDevice
from hwcompat.profile.model import PciExpectation, PciSection
from hwcompat.results import CheckResult, cannot_check


def _subject(exp: PciExpectation, what: str = "") -> str:
    title = f" ({exp.title})" if exp.title else ""
    return f"pci {exp.key}{title}" + (f" {what}" if what else "")


def matching(exp: PciExpectation, facts: PciFacts) -> list[PciDevice]:
    """Devices that are this expectation's identity: vendor:device, and the slot when given."""
    if exp.slot is None:
        return list(facts.by_id(exp.id))
    found = facts.by_slot(exp.slot)
    return [found] if found is not None and found.id == exp.id else []


def _describe(devices: list[PciDevice]) -> str:
    return ", ".join(f"{d.id} at {d.slot}" for d in devices) or "none"


def present(exp: PciExpectation, facts: PciFacts | Unknown) -> CheckResult:
    """The device is there (at its slot, in the expected number)."""
    subject = _subject(exp)
    if isinstance(facts, Unknown):
        return cannot_check(subject, facts.reason, str(exp.origin))
    found = matching(exp, facts)
    count: Matcher = exp.count or Range(exp.origin, 1, 1 if exp.slot else None)
    where = f" at {exp.slot}" if exp.slot else ""
    if not found and exp.optional:
        return CheckResult("skipped", subject, f"optional device not present{where}", origin=str(exp.origin), source=facts.origin)
    if count.matches(len(found)):
        return CheckResult("passed", subject, f"present: {_describe(found)}", count.describe(), str(len(found)), str(exp.origin), facts.origin)
    if exp.slot and not found:
        other = facts.by_slot(exp.slot)
        there = f"{other.id} is at {exp.slot} instead" if other else f"no device at {exp.slot}"
        return CheckResult("failed", subject, f"missing: {there}", f"{exp.id}{where}", there, str(exp.origin), facts.origin)
    expected = f"{count.describe()} device(s) {exp.id}{where}"
    message = f"missing: no {exp.id} device found (expected {expected})" if not found else f"expected {expected}, found {len(found)}: {_describe(found)}"
    return CheckResult("failed", subject, message, expected, str(len(found)), str(exp.origin), facts.origin)


def _property(exp: PciExpectation, facts: PciFacts | Unknown, label: str, matcher: Matcher | None,
              get: Callable[[PciDevice], Scalar]) -> CheckResult:
    subject = _subject(exp, label)
    if matcher is None:
        raise ValueError(f"{subject}: the profile sets no {label}")
    if isinstance(facts, Unknown):
        return cannot_check(subject, facts.reason, str(matcher.origin), matcher.describe())
    found = matching(exp, facts)
    if not found:
        where = f" at {exp.slot}" if exp.slot else ""
        return CheckResult("skipped", subject, f"device {exp.id} not present{where}", origin=str(matcher.origin), source=facts.origin)
    results = [compare(subject, matcher, get(d), facts.origin) for d in found]
    bad = [(d, r) for d, r in zip(found, results, strict=True) if r.outcome != "passed"]
    if not bad:
        return results[0] if len(found) == 1 else CheckResult(
            "passed", subject, f"all {len(found)} devices: {results[0].found}", results[0].expected, results[0].found, str(matcher.origin), facts.origin)
    detail = "; ".join(f"{show(get(d))} at {d.slot}" for d, _ in bad)
    return CheckResult("failed", subject, f"expected {matcher.describe()}, found {detail}", matcher.describe(), detail, str(matcher.origin), facts.origin)


def driver(exp: PciExpectation, facts: PciFacts | Unknown) -> CheckResult:
    """The bound driver (sysfs driver name; none when nothing is bound)."""
    return _property(exp, facts, "driver", exp.driver, lambda d: d.driver)


def subsystem(exp: PciExpectation, facts: PciFacts | Unknown) -> CheckResult:
    """Subsystem ids, ``vendor:device`` (identifies the board maker's variant)."""
    return _property(exp, facts, "subsystem", exp.subsystem,
                     lambda d: f"{d.subsystem_vendor}:{d.subsystem_device}" if d.subsystem_vendor else None)


def class_code(exp: PciExpectation, facts: PciFacts | Unknown) -> CheckResult:
    """Class and subclass, four hex digits (``0107`` SAS, ``0104`` RAID)."""
    return _property(exp, facts, "class", exp.class_code, lambda d: d.class_code[:4])


def revision(exp: PciExpectation, facts: PciFacts | Unknown) -> CheckResult:
    """Revision id, two hex digits."""
    return _property(exp, facts, "revision", exp.revision, lambda d: d.revision)


def topology(exp: PciExpectation, facts: PciFacts | Unknown) -> CheckResult:
    """The bridge the device sits behind (its slot; none on a root bus)."""
    return _property(exp, facts, "behind", exp.behind, lambda d: d.parent)


def unclaimed(section: PciSection, facts: PciFacts) -> list[PciDevice]:
    """Devices that no expectation of the section names."""
    any_slot = {e.id for e in section.devices if e.slot is None}
    slotted = {(e.id, e.slot) for e in section.devices if e.slot is not None}
    return [d for d in facts.devices if d.id not in any_slot and (d.id, d.slot) not in slotted]


def unlisted(section: PciSection, facts: PciFacts | Unknown) -> CheckResult:
    """Devices present but named nowhere in the profile, under the profile's policy."""
    subject = "pci unlisted devices"
    origin = str(section.unlisted_origin)
    if isinstance(facts, Unknown):
        return cannot_check(subject, facts.reason, origin)
    extra = unclaimed(section, facts)
    found = ", ".join(f"{d.id} at {d.slot} (driver {show(d.driver)})" for d in extra) or "none"
    if not extra:
        return CheckResult("passed", subject, "every device present is named in the profile", "none", "none", origin, facts.origin)
    what = f"{len(extra)} device(s) not in the profile: {found}"
    if section.unlisted == "fail":
        return CheckResult("failed", subject, what, "none (unlisted_devices: fail)", found, origin, facts.origin)
    return CheckResult("passed", subject, f"reported, not judged: {what}", "reported (unlisted_devices: report)", found, origin, facts.origin)
