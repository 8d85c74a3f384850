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
# Xen 4.7 and later also hide tsc_deadline_timer: xen/include/public/arch-x86/cpufeatureset.h marks
# TSC_DEADLINE 'S' ("All HVM guests (not PV guests)", RELEASE-4.7.0 to RELEASE-4.19.0; a Xen 4.12 Dom0's
# /proc/cpuinfo on xen-devel, Message-ID <20210721092958.GA2502468@dingwall.me.uk>, lacks it).
XEN_PV_HIDDEN = frozenset((
    "vme", "pse", "mtrr", "pge", "pse36", "dts", "tm", "pbe", "pdpe1gb", "rdtscp", "arch_perfmon",
    "pebs", "bts", "xtopology", "aperfmperf", "dtes64", "ds_cpl", "vmx", "smx", "tm2", "xtpr",
    "pdcm", "pcid", "x2apic", "smep", "invpcid", "tsc_adjust", "monitor", "tsc_deadline_timer",
))
# Intel microcode rev 0x1c for 06-3c-03 (2014) disabled TSX on Haswell (LKML 2014-09-18).
TSX = frozenset({"hle", "rtm"})
# Linux 4.14 and later turn tsc_deadline_timer off on these Intel client models below this microcode ("TSC_DEADLINE
# disabled due to Errata": arch/x86/kernel/apic/apic.c deadline_match, its fixed-revision entries; the server
# models there, whose revision depends on the stepping, get no hint)
DEADLINE_ERRATA = {(6, 0x3C): 0x22, (6, 0x45): 0x20, (6, 0x46): 0x17, (6, 0x3D): 0x25, (6, 0x47): 0x17,
                   (6, 0x4E): 0xB2, (6, 0x5E): 0xB2, (6, 0x8E): 0x52, (6, 0x9E): 0x52}


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
            since = " from Xen 4.7 on" if exp.name == "tsc_deadline_timer" else ""
            return skipped(f"not visible here: this kernel runs under a hypervisor (/proc/cpuinfo shows the 'hypervisor' flag), which may "
                           f"hide {exp.name} from it (a Xen PV Dom0 or guest does not see it{since}: Xen's PV CPUID policy and Linux's "
                           "xen_cpuid() clear it); the chip itself cannot be judged from this kernel", facts.origin)
        if exp.name in TSX:
            hint = f" (microcode {_fmt('microcode')(facts.microcode)}: the 2014 Haswell microcode update removed TSX)"
        fixed = DEADLINE_ERRATA.get((facts.family or 0, facts.model or 0)) if facts.vendor_id == "GenuineIntel" else None
        if exp.name == "tsc_deadline_timer" and fixed is not None and facts.microcode is not None and facts.microcode < fixed:
            hint = (f" (microcode {_hex(facts.microcode)} is below {_hex(fixed)}, which Linux 4.14 and later want for it on this model: "
                    "if the kernel log says 'TSC_DEADLINE disabled due to Errata', a microcode update brings it back)")
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
