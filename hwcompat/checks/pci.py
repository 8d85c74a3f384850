"""PCI checks: one item per device (present, in the expected number, and each property), and the unlisted ones.

A device that is missing is one failure; its properties are not judged. Each property of a
present device is a part of the item with its own expected, found and profile line, so a report
shows every one and a single wrong property fails exactly its device's item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hwcompat.checks import compare
from hwcompat.facts.pci import PciFacts
from hwcompat.matchers import Matcher, Range, Scalar, show
from hwcompat.parsers.sysfs_pci import PciDevice
from hwcompat.profile.model import PciExpectation, PciSection
from hwcompat.results import CheckResult, failed, passed, skipped

#: what each property of a profile's device entry is compared with
PROPERTIES: dict[str, Callable[[PciDevice], Scalar]] = {
    "driver": lambda d: d.driver,
    "subsystem": lambda d: f"{d.subsystem_vendor}:{d.subsystem_device}" if d.subsystem_vendor else None,
    "class": lambda d: d.class_code[:4],
    "revision": lambda d: d.revision,
    "behind": lambda d: d.parent,
    "numa_node": lambda d: d.numa_node,
}


def matching(exp: PciExpectation, facts: PciFacts) -> list[PciDevice]:
    """Devices that are this expectation's identity: vendor:device, and the slot when given."""
    if exp.slot is None:
        return list(facts.by_id(exp.id))
    found = facts.by_slot(exp.slot)
    return [found] if found is not None and found.id == exp.id else []


def _describe(devices: list[PciDevice]) -> str:
    return ", ".join(f"{d.id} at {d.slot}" for d in devices) or "none"


def _property(name: str, matcher: Matcher, found: list[PciDevice], source: str) -> CheckResult:
    get = PROPERTIES[name]
    results = [compare(matcher, get(d), source) for d in found]
    bad = [(d, r) for d, r in zip(found, results, strict=True) if r.outcome != "passed"]
    if not bad:
        result = results[0] if len(found) == 1 else passed(f"all {len(found)} devices: {results[0].found}", results[0].expected,
                                                           results[0].found, source)
    else:
        detail = "; ".join(f"{show(get(d))} at {d.slot}" for d, _ in bad)
        result = failed(f"expected {matcher.describe()}, found {detail}", matcher.describe(), detail, source)
    return replace(result, subject=name, origin=str(matcher.origin))


def device(exp: PciExpectation, facts: PciFacts) -> CheckResult:
    """The device is present (at its slot, in the expected number), and each property it sets holds."""
    found = matching(exp, facts)
    count: Matcher = exp.count or Range(exp.origin, 1, 1 if exp.slot else None)
    where = f" at {exp.slot}" if exp.slot else ""
    unchecked = f" ({', '.join(n for n, _ in exp.props)} not checked)" if exp.props else ""
    if not found and exp.optional:
        return skipped(f"optional device not present{where}", facts.origin)
    if not count.matches(len(found)):
        if exp.slot and not found:
            other = facts.by_slot(exp.slot)
            there = f"{other.id} is at {exp.slot} instead" if other else f"no device at {exp.slot}"
            return failed(f"missing: {there}{unchecked}", f"{exp.id}{where}", there, facts.origin)
        expected = f"{count.describe()} device(s) {exp.id}{where}"
        if not found:
            return failed(f"missing: no {exp.id} device found (expected {expected}){unchecked}", expected, "0", facts.origin)
        return failed(f"expected {expected}, found {len(found)}: {_describe(found)}", expected, str(len(found)), facts.origin)
    parts = tuple(_property(name, matcher, found, facts.origin) for name, matcher in exp.props)
    bad = [p for p in parts if p.outcome == "failed"]
    have = "; ".join(f"{p.subject} {p.found}" for p in parts)
    if bad:
        message = "; ".join(f"{p.subject} {p.message}" for p in bad)
        return replace(failed(message, exp.describe(), have, facts.origin), parts=parts)
    return replace(passed(f"present: {_describe(found)}" + (f"; {have}" if have else ""), exp.describe(), have or _describe(found), facts.origin),
                   parts=parts)


def unclaimed(section: PciSection, facts: PciFacts) -> list[PciDevice]:
    """Devices that no expectation of the section names."""
    any_slot = {e.id for e in section.devices if e.slot is None}
    slotted = {(e.id, e.slot) for e in section.devices if e.slot is not None}
    return [d for d in facts.devices if d.id not in any_slot and (d.id, d.slot) not in slotted]


def unlisted(section: PciSection, facts: PciFacts) -> CheckResult:
    """Devices present but named nowhere in the profile, under the profile's policy."""
    extra = unclaimed(section, facts)
    found = ", ".join(f"{d.id} at {d.slot} (driver {show(d.driver)})" for d in extra) or "none"
    if not extra:
        return passed("every device present is named in the profile", "none", "none", facts.origin)
    what = f"{len(extra)} device(s) not in the profile: {found}"
    if section.unlisted == "fail":
        return failed(what, "none (unlisted_devices: fail)", found, facts.origin)
    return passed(f"reported, not judged: {what}", "reported (unlisted_devices: report)", found, facts.origin)


def _short(slot: str | None) -> str | None:
    return slot[5:] if slot and slot.startswith("0000:") else slot


def draft_devices(facts: PciFacts) -> dict[str, object]:
    """Profile entries for every device present, at its slot, with driver, subsystem, class and parent bridge."""
    devices: dict[str, object] = {}
    for d in facts.devices:
        entry: dict[str, object] = {"driver": d.driver}
        if d.subsystem_vendor and d.subsystem_device:
            entry["subsystem"] = f"{d.subsystem_vendor}:{d.subsystem_device}"
        entry["class"] = d.class_code[:4]
        entry["behind"] = _short(d.parent)
        devices[f"{d.id}@{_short(d.slot)}"] = entry
    return devices
