"""Xen checks: role (Dom0, guest, none), version, hypervisor command line, Dom0 memory, overcommit."""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.checks.boot import param_both_ways
from hwcompat.facts import Unknown
from hwcompat.facts.boot import BootFacts
from hwcompat.facts.xen import XenFacts
from hwcompat.matchers import show
from hwcompat.parsers import cmdline as cmdline_parser
from hwcompat.profile.model import FieldExpectation, ParamExpectation
from hwcompat.results import CheckResult, cannot_check

XEN_VARS = ("GRUB_CMDLINE_XEN", "GRUB_CMDLINE_XEN_DEFAULT")


def _dom0_mb(xen: XenFacts) -> int | Unknown:
    if isinstance(xen.domains, Unknown):
        return xen.domains
    dom0 = next((d for d in xen.domains if d.domid == 0), None)
    return dom0.mem_mb if dom0 else Unknown("xl list shows no domain 0")


def _overcommit(xen: XenFacts) -> tuple[float, str] | Unknown:
    dom0 = _dom0_mb(xen)
    for part in (xen.info, xen.domains, xen.maxmem_kb, dom0):
        if isinstance(part, Unknown):
            return part
    assert isinstance(xen.info, dict) and isinstance(xen.domains, tuple) and isinstance(xen.maxmem_kb, dict) and isinstance(dom0, int)
    total = int(xen.info.get("total_memory", "0") or 0)
    guests = []
    for d in xen.domains:
        if d.domid == 0:
            continue
        maxmem = xen.maxmem_kb.get(d.name, "missing")
        if maxmem is None or maxmem == "missing":
            return Unknown(f"guest {d.name} has {'no memory limit' if maxmem is None else 'no xentop row'}")
        guests.append((d.name, int(maxmem) // 1024))
    room = total - dom0
    if room <= 0:
        return Unknown(f"host memory {total} MB is not more than Dom0's {dom0} MB")
    want = sum(mb for _, mb in guests)
    each = ", ".join(f"{n} {mb}" for n, mb in guests) or "no guests"
    how = f"guests' maximum memory {want} MB ({each}) vs {room} MB left after Dom0 ({total} MB - {dom0} MB)"
    return round(want / room, 2), how


def _absent_dom0(subject: str, xen: XenFacts, origin: str, needs: str = "dom0") -> CheckResult | None:
    """Skip a property of a Dom0 (or of Xen) on a machine known not to be one."""
    if isinstance(xen.role, Unknown) or xen.role == needs or (needs == "xen" and xen.role != "none"):
        return None
    what = "not running under Xen" if xen.role == "none" else f"not a Xen Dom0 (running as {xen.role})"
    return CheckResult("skipped", subject, f"{what} (see test_xen_property[role])", origin=origin, source=xen.origin)


def field(exp: FieldExpectation, xen: XenFacts | Unknown) -> CheckResult:
    """``role``, ``version``, ``dom0_memory_mb`` or ``guest_memory_overcommit``."""
    subject = f"xen {exp.field}"
    origin = str(exp.matcher.origin)
    if isinstance(xen, Unknown):
        return cannot_check(subject, xen.reason, origin, exp.matcher.describe())
    if exp.field != "role":
        skip = _absent_dom0(subject, xen, origin, "xen" if exp.field == "version" else "dom0")
        if skip:
            return skip
    if exp.field == "role":
        result = compare(subject, exp.matcher, xen.role, xen.origin)
        if result.outcome == "failed" and not isinstance(xen.role, Unknown):
            gist = "not running under Xen" if xen.role == "none" else f"running as {xen.role}"
            return CheckResult("failed", subject, f"{gist}, expected {exp.matcher.describe()} ({xen.how})", result.expected, result.found, origin, xen.origin)
        return result
    if exp.field == "version":
        return compare(subject, exp.matcher, xen.version, xen.origin)
    if exp.field == "dom0_memory_mb":
        return compare(subject, exp.matcher, _dom0_mb(xen), "xl list")
    over = _overcommit(xen)
    if isinstance(over, Unknown):
        return cannot_check(subject, over.reason, origin, exp.matcher.describe())
    ratio, how = over
    result = compare(subject, exp.matcher, ratio, "xl info, xl list, xentop -b")
    return CheckResult(result.outcome, subject, f"{result.message}: {how}", result.expected, show(ratio), origin, result.source)


def cmdline(exp: ParamExpectation, xen: XenFacts | Unknown, boot: BootFacts | Unknown) -> CheckResult:
    """A hypervisor parameter: on the running Xen (``xl info``) and in GRUB_CMDLINE_XEN[_DEFAULT]."""
    subject = f"xen cmdline {exp.name}"
    if isinstance(xen, Unknown):
        return cannot_check(subject, xen.reason, str(exp.origin))
    skip = _absent_dom0(subject, xen, str(exp.origin))
    if skip:
        return skip
    line = xen.commandline
    running = line if isinstance(line, Unknown) else cmdline_parser.parse(line)
    configured = boot if isinstance(boot, Unknown) else boot.grub_words(*XEN_VARS)
    return param_both_ways(subject, exp, running, "xl info xen_commandline", configured, XEN_VARS, "/etc/default/grub")
