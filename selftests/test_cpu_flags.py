"""CPU flags a hypervisor or the kernel hides: skipped with the reason under a hypervisor, failed with the
cause on bare metal; checked against /proc/cpuinfo flag lines that Xen Dom0 users published."""

from __future__ import annotations

import pytest

from hwcompat.checks import cpu
from hwcompat.facts.cpu import CpuFacts
from hwcompat.plan import BY_NAME
from hwcompat.profile import loader
from hwcompat.profile.loader import load_text
from hwcompat.profile.model import StateExpectation

# A Xen stable-4.12 Dom0 (Linux PV) on a Xeon D-2123IT (family 6 model 85), as its /proc/cpuinfo printed it:
# xen-devel, James Dingwall, 2021-07-21, "xen 4.11.4 incorrect (~3x) cpu frequency reported",
# Message-ID <20210721092958.GA2502468@dingwall.me.uk>. The chip has the TSC deadline timer; Xen >= 4.7
# does not offer it to PV guests (cpufeatureset.h: TSC_DEADLINE 'S', HVM guests only).
XEN_412_DOM0 = ("fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush acpi mmx fxsr sse sse2 ss ht syscall nx lm "
                "constant_tsc rep_good nopl nonstop_tsc cpuid pni pclmulqdq monitor est ssse3 fma cx16 sse4_1 sse4_2 movbe "
                "popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch intel_ppin ssbd ibrs ibpb stibp "
                "fsgsbase bmi1 hle avx2 bmi2 erms rtm avx512f avx512dq rdseed adx clflushopt clwb avx512cd avx512bw "
                "avx512vl xsaveopt xsavec xgetbv1 md_clear")
# A Qubes OS Dom0 under a Xen 4.19 development build on an i7-8750H (family 6 model 158): xen-devel,
# Marek Marczykowski-Gorecki, 2024-04-03, "text-tsx fails on Intel core 8th gen system",
# Message-ID <Zg1stUacaDBkyDOn@mail-itl> (quoted-printable soft line breaks joined).
XEN_419_DOM0 = ("fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush acpi mmx fxsr sse sse2 ss ht syscall nx rdtscp lm "
                "constant_tsc rep_good nopl nonstop_tsc cpuid tsc_known_freq pni pclmulqdq monitor est ssse3 fma cx16 "
                "sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault ssbd "
                "ibrs ibpb stibp fsgsbase bmi1 avx2 bmi2 erms rdseed adx clflushopt xsaveopt xsavec xgetbv1 md_clear "
                "arch_capabilities")
#: what the shipped Haswell profile requires
REQUIRED = [e.name for e in BY_NAME["test_cpu_flag"].entries(loader.load("cpus/intel-xeon-e3-1265l-v3")) if e.state == "required"]


def _facts(flags: str, family: int = 6, model: int = 60, microcode: int = 0x28, vendor: str = "GenuineIntel") -> CpuFacts:
    return CpuFacts(vendor, "Intel(R) Xeon(R) CPU", family, model, 3, microcode, 8192, 8, frozenset(flags.split()), "/proc/cpuinfo")


def _required(name: str) -> StateExpectation:
    [exp] = BY_NAME["test_cpu_flag"].entries(load_text(f"name: x\ncpu:\n  flags:\n    {name}: required\n"))
    assert isinstance(exp, StateExpectation)
    return exp


@pytest.mark.parametrize("published", [XEN_412_DOM0, XEN_419_DOM0], ids=["xen-4.12-dom0", "xen-4.19-dom0"])
def test_a_newer_xen_dom0_fails_no_flag_the_chip_has_and_skips_what_xen_hides(published: str) -> None:
    """Before, tsc_deadline_timer failed on every Xen >= 4.7 PV Dom0: a healthy Haswell board failed its shared cpu profile."""
    facts = _facts(published)
    outcomes = {name: cpu.flag(_required(name), facts).outcome for name in REQUIRED}
    assert outcomes["tsc_deadline_timer"] == "skipped"
    assert "from Xen 4.7 on" in cpu.flag(_required("tsc_deadline_timer"), facts).message
    # a Haswell E3 has every other required flag these newer chips show; none of them is failed
    assert {n for n, o in outcomes.items() if o == "failed"} == set(), outcomes
    assert {n for n, o in outcomes.items() if o == "passed"} >= {"nonstop_tsc", "constant_tsc", "fsgsbase", "erms", "xsaveopt", "avx2"}


def test_without_a_hypervisor_a_missing_flag_fails_and_the_deadline_errata_is_named() -> None:
    bare = XEN_412_DOM0.replace(" hypervisor", "")
    old = cpu.flag(_required("tsc_deadline_timer"), _facts(bare, microcode=0x1C))
    assert old.outcome == "failed" and "microcode 0x1c is below 0x22" in old.message and "TSC_DEADLINE disabled due to Errata" in old.message
    new = cpu.flag(_required("tsc_deadline_timer"), _facts(bare, microcode=0x22))
    assert new.outcome == "failed" and "Errata" not in new.message
    other_model = cpu.flag(_required("tsc_deadline_timer"), _facts(bare, model=85, microcode=0x1C))
    assert other_model.outcome == "failed" and "Errata" not in other_model.message
    not_intel = cpu.flag(_required("tsc_deadline_timer"), _facts(bare, microcode=0x1C, vendor="AuthenticAMD"))
    assert not_intel.outcome == "failed" and "Errata" not in not_intel.message
    assert cpu.flag(_required("avx512f"), _facts(bare)).outcome == "passed"
    assert cpu.flag(_required("sha_ni"), _facts(bare)).outcome == "failed"
