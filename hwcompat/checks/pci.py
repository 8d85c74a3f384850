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

#: what each property of a profile's device entry is compared with: the forms the value may be
#: written in, the first the one shown (``behind`` is the parent bridge's path or its slot)
PROPERTIES: dict[str, Callable[[PciDevice], tuple[Scalar, ...]]] = {
    "driver": lambda d: (d.driver,),
    "subsystem": lambda d: (f"{d.subsystem_vendor}:{d.subsystem_device}" if d.subsystem_vendor else None,),
    "class": lambda d: (d.class_code[:4],),
    "revision": lambda d: (d.revision,),
    "behind": lambda d: (d.parent_path, d.parent.removeprefix("0000:"), d.parent) if d.parent and d.parent_path else (None,),
    "numa_node": lambda d: (d.numa_node,),
}


def matching(exp: PciExpectation, facts: PciFacts) -> list[PciDevice]:
    """Devices that are this expectation's identity: vendor:device (or one of its also_ids), at its location when given."""
    ids = {exp.id, *exp.also_ids}
    if exp.location is None:
        return [d for i in sorted(ids) for d in facts.by_id(i)]
    found = facts.at(exp.location)
    return [found] if found is not None and found.id in ids else []


def _describe(devices: list[PciDevice]) -> str:
    return ", ".join(f"{d.id} at {d.path}" for d in devices) or "none"


def _property(name: str, matcher: Matcher, found: list[PciDevice], source: str) -> CheckResult:
    forms = PROPERTIES[name]
    results = [compare(matcher, next((v for v in forms(d) if matcher.matches(v)), forms(d)[0]), source) for d in found]
    bad = [(d, r) for d, r in zip(found, results, strict=True) if r.outcome != "passed"]
    if not bad:
        result = results[0] if len(found) == 1 else passed(f"all {len(found)} devices: {results[0].found}", results[0].expected,
                                                           results[0].found, source)
    else:
        detail = "; ".join(f"{show(forms(d)[0])} at {d.path}" for d, _ in bad)
        result = failed(f"expected {matcher.describe()}, found {detail}", matcher.describe(), detail, source)
    return replace(result, subject=name, origin=str(matcher.origin))


def device(exp: PciExpectation, facts: PciFacts) -> CheckResult:
    """The device is present (at its location, in the expected number), and each property it sets holds."""
    found = matching(exp, facts)
    count: Matcher = exp.count or Range(exp.origin, 1, 1 if exp.location else None)
    where = f" at {exp.location}" if exp.location else ""
    unchecked = f" ({', '.join(n for n, _ in exp.props)} not checked)" if exp.props else ""
    if not found and exp.optional:
        return skipped(f"optional device not present{where}", facts.origin)
    if not count.matches(len(found)):
        if exp.location and not found:
            other = facts.at(exp.location)
            there = f"{other.id} is at {exp.location} instead" if other else f"no device at {exp.location}"
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
    claimed = {d.sys_path for e in section.devices for d in matching(e, facts)}
    return [d for d in facts.devices if d.sys_path not in claimed]


def unlisted(section: PciSection, facts: PciFacts) -> CheckResult:
    """Devices present but named nowhere in the profile, under the profile's policy."""
    extra = unclaimed(section, facts)
    found = ", ".join(f"{d.id} at {d.path} (driver {show(d.driver)})" for d in extra) or "none"
    what = f"{len(extra)} device(s) not in the profile: {found}" if extra else "every device present is named in the profile"
    if section.unlisted == "report":
        # listed for the reader, never judged: an item that cannot fail must not count as a pass
        return skipped(f"reported, not judged (unlisted_devices: report): {what}", facts.origin)
    if extra:
        return failed(what, "none (unlisted_devices: fail)", found, facts.origin)
    return passed(what, "none", "none", facts.origin)


def draft_entry(d: PciDevice) -> dict[str, object]:
    """A device's properties as a profile writes them (driver, subsystem, class, parent bridge by path)."""
    entry: dict[str, object] = {"driver": d.driver}
    if d.subsystem_vendor and d.subsystem_device:
        entry["subsystem"] = f"{d.subsystem_vendor}:{d.subsystem_device}"
    entry["class"] = d.class_code[:4]
    entry["behind"] = d.parent_path
    return entry


def draft_devices(facts: PciFacts) -> dict[str, object]:
    """Profile entries for every device present, by its path (bus numbers shift between machines), with its properties."""
    return {f"{d.id}@{d.path}": draft_entry(d) for d in facts.devices}
