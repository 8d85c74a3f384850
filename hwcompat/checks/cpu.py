"""CPU checks: identity fields and flags, with the known reasons a flag goes missing."""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.errors import CannotCheck
from hwcompat.facts.cpu import CpuFacts
from hwcompat.matchers import Formatter, Scalar, show
from hwcompat.profile.model import FieldExpectation, StateExpectation
from hwcompat.results import CheckResult, failed, passed, skipped

# Xen 4.3 pv_cpuid() and Linux's xen_cpuid() hide these from a PV guest, Dom0 included
# (xen RELEASE-4.3.0 xen/arch/x86/traps.c pv_cpuid; linux v3.13 arch/x86/xen/enlighten.c xen_cpuid).
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


def field(exp: FieldExpectation, facts: CpuFacts) -> CheckResult:
    """One identity field of the first CPU (vendor_id, model_name, family, ..., logical_cpus)."""
    value: Scalar = getattr(facts, exp.field)
    if value is None:
        raise CannotCheck(f"{exp.field} is not reported by {facts.origin}")
    return compare(exp.matcher, value, facts.origin, _fmt(exp.field))


def flag(exp: StateExpectation, facts: CpuFacts) -> CheckResult:
    """A flag that must be present (required) or must not be (forbidden)."""
    have = exp.name in facts.flags
    if exp.state == "required" and have:
        return passed("present", "present", "present", facts.origin)
    if exp.state == "forbidden" and not have:
        return passed("absent", "absent", "absent", facts.origin)
    if exp.state == "required":
        hint = ""
        if exp.name in XEN_PV_HIDDEN and facts.hypervisor:
            return skipped(f"not visible here: this kernel runs under a hypervisor (/proc/cpuinfo shows the 'hypervisor' flag), which hides "
                           f"{exp.name} from it (a Xen PV Dom0 or guest never sees it: Xen's pv_cpuid() and Linux's xen_cpuid() clear it); "
                           "the chip itself cannot be judged from this kernel", facts.origin)
        if exp.name in TSX:
            hint = f" (microcode {_fmt('microcode')(facts.microcode)}: the 2014 Haswell microcode update removed TSX)"
        return failed(f"required flag is missing{hint}", "present", "absent", facts.origin)
    return failed("forbidden flag is present", "absent", "present", facts.origin)


def draft_fields(facts: CpuFacts) -> dict[str, object]:
    """The CPU's identity as profile fields (microcode as a minimum: updates only raise it)."""
    data: dict[str, object] = {}
    for name in ("vendor_id", "model_name", "family", "model", "stepping", "cache_size_kb"):
        if getattr(facts, name) is not None:
            data[name] = getattr(facts, name)
    if facts.microcode is not None:
        data["microcode"] = {"min": facts.microcode}
    data["logical_cpus"] = facts.logical_cpus
    return data


def draft_flags(facts: CpuFacts) -> dict[str, object]:
    """Every flag the CPU shows, required."""
    return dict.fromkeys(sorted(facts.flags), "required")
