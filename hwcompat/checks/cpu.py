"""CPU checks: identity fields and flags, with the known reasons a flag goes missing."""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.facts import Unknown
from hwcompat.facts.cpu import CpuFacts
from hwcompat.matchers import Formatter, Scalar, show
from hwcompat.profile.model import FieldExpectation, FlagExpectation
from hwcompat.results import CheckResult, cannot_check

# Xen 4.3 pv_cpuid() and Linux's xen_cpuid() hide these from a PV guest, Dom0 included
# (xen RELEASE-4.3.0 xen/arch/x86/traps.c; domain-facts.md B.3).
XEN_PV_HIDDEN = frozenset((
    "vme", "pse", "mtrr", "pge", "pse36", "dts", "tm", "pbe", "pdpe1gb", "rdtscp", "arch_perfmon",
    "pebs", "bts", "xtopology", "aperfmperf", "dtes64", "ds_cpl", "vmx", "smx", "tm2", "xtpr",
    "pdcm", "pcid", "x2apic", "smep", "invpcid", "tsc_adjust", "monitor",
))
# Intel microcode rev 0x1c for 06-3c-03 (2014) disabled TSX on Haswell (LKML 2014-09-18).
TSX = frozenset({"hle", "rtm"})


def _hex(value: Scalar) -> str:
    return hex(value) if isinstance(value, int) and not isinstance(value, bool) else show(value)


def _fmt(field: str) -> Formatter:
    return _hex if field == "microcode" else show


def field(exp: FieldExpectation, facts: CpuFacts | Unknown) -> CheckResult:
    """One identity field of the first CPU (vendor_id, model_name, family, ..., logical_cpus)."""
    subject = f"cpu {exp.field}"
    if isinstance(facts, Unknown):
        return cannot_check(subject, facts.reason, str(exp.matcher.origin), exp.matcher.describe())
    value: Scalar = getattr(facts, exp.field)
    if value is None:
        return cannot_check(subject, f"{exp.field} is not reported by {facts.origin}", str(exp.matcher.origin), exp.matcher.describe())
    return compare(subject, exp.matcher, value, facts.origin, _fmt(exp.field))


def flag(exp: FlagExpectation, facts: CpuFacts | Unknown) -> CheckResult:
    """A flag that must be present (required) or must not be (forbidden)."""
    subject = f"cpu flag {exp.flag}"
    origin = str(exp.origin)
    if isinstance(facts, Unknown):
        return cannot_check(subject, facts.reason, origin, exp.state)
    have = exp.flag in facts.flags
    if exp.state == "required" and have:
        return CheckResult("passed", subject, "present", "present", "present", origin, facts.origin)
    if exp.state == "forbidden" and not have:
        return CheckResult("passed", subject, "absent", "absent", "absent", origin, facts.origin)
    if exp.state == "required":
        hint = ""
        if exp.flag in XEN_PV_HIDDEN and facts.hypervisor:
            hint = " (a Xen PV guest or Dom0 does not see it; set it to 'ignored' in a Dom0 profile)"
        elif exp.flag in TSX:
            hint = f" (microcode {_fmt('microcode')(facts.microcode)}: the 2014 Haswell microcode update removed TSX)"
        return CheckResult("failed", subject, f"required flag is missing{hint}", "present", "absent", origin, facts.origin)
    return CheckResult("failed", subject, "forbidden flag is present", "absent", "present", origin, facts.origin)
