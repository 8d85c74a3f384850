"""CPUID checks: a CPU flag as the CPUID instruction shows user space, beside what the kernel shows.

Under a hypervisor the kernel may not list a flag the chip has (a Xen PV kernel never sees vmx);
user space may still reach the chip's own CPUID (Xen 4.3 PV), or see a filtered one too (a
hypervisor that faults CPUID). The item says which it found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwcompat.errors import CannotCheck
from hwcompat.facts.cpu import CpuFacts
from hwcompat.profile.model import StateExpectation
from hwcompat.results import CheckResult, failed, passed

if TYPE_CHECKING:  # annotations only: the facts module loads when its domain is first collected
    from hwcompat.facts.cpuid import CpuidFacts


def cpuid_flag(exp: StateExpectation, cpuid: CpuidFacts, cpu: CpuFacts) -> CheckResult:
    """A flag as the CPUID instruction shows user space, said beside what the kernel shows."""
    have, kernel = exp.name in cpuid.flags, exp.name in cpu.flags
    view = ("CPUID shows user space the chip's own flag, which the kernel under this hypervisor does not list"
            if have and not kernel and cpu.hypervisor else
            "user space sees the same as the kernel here (a hypervisor that faults CPUID filters user space too)"
            if not have and not kernel and cpu.hypervisor else "")
    found = f"{'present' if have else 'absent'} in CPUID; {'present' if kernel else 'absent'} in /proc/cpuinfo"
    wanted = exp.state == "required"
    if have == wanted:
        return passed(f"{'present' if have else 'absent'}" + (f" ({view})" if view else ""), exp.state, found, cpuid.origin)
    if wanted and cpu.hypervisor and not kernel:
        raise CannotCheck(f"{exp.name} is hidden from both the kernel and user space here: {view}; the chip cannot be judged from this guest")
    return failed(f"{'required flag is missing' if wanted else 'forbidden flag is present'} in CPUID" + (f" ({view})" if view else ""),
                  exp.state, found, cpuid.origin)
