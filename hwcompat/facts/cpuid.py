"""CPUID facts: the CPU's flags as the CPUID instruction reports them to user space.

Read with py-cpuinfo (its ``CPUID`` class runs the instruction in this process; the clock probe of
``get_cpu_info()`` is not used) only when a profile asks for ``cpu.cpuid_flags``. The names are
py-cpuinfo's, translated to the kernel's where they differ, so a profile writes one name for both.
Under a Xen PV kernel, user space may reach the chip's own CPUID (Xen 4.3) where the kernel sees a
filtered one; a Xen that faults CPUID (on CPUs that offer it) filters user space too.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.sources.base import FactSource

#: py-cpuinfo name -> /proc/cpuinfo name (arch/x86/include/asm/cpufeatures.h), where they differ
KERNEL_NAMES = {
    "rdrnd": "rdrand", "sha": "sha_ni", "tscdeadline": "tsc_deadline_timer", "pdpe1gp": "pdpe1gb", "avx512vbmi2": "avx512_vbmi2",
    "avx512vnni": "avx512_vnni", "avx512bitalg": "avx512_bitalg", "avx512vpopcntdq": "avx512_vpopcntdq",
}


@dataclass(frozen=True, slots=True)
class CpuidFacts:
    """Flags CPUID reports to user space, in the kernel's names."""

    flags: frozenset[str]
    origin: str


def collect(source: FactSource) -> CpuidFacts:
    """Ask the source for the CPUID flags. Raises CannotCheck."""
    flags = frozenset(KERNEL_NAMES.get(f, f) for f in source.cpuid_flags())
    return CpuidFacts(flags, f"{source.kind} CPUID (py-cpuinfo)")
