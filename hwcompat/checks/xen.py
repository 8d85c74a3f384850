"""Xen checks: role (Dom0, guest, none), version, hypervisor command line, Dom0 memory, overcommit."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hwcompat.checks import compare
from hwcompat.checks.kernel import param_both_ways
from hwcompat.errors import CannotCheck
from hwcompat.facts import known
from hwcompat.facts.kernel import KernelFacts
from hwcompat.matchers import show
from hwcompat.profile.model import FieldExpectation, ParamExpectation
from hwcompat.results import CheckResult, failed, skipped

if TYPE_CHECKING:  # annotations only: the facts module loads when its domain is first collected
    from hwcompat.facts.xen import XenFacts

ROLE_ITEM = "test_xen_property[role]"


def _overcommit(xen: XenFacts) -> tuple[float, str]:
    """Guests' maximum memory over what is left after Dom0, and the arithmetic in words. Raises CannotCheck."""
    dom0 = xen.dom0_mb()
    info, maxmem = known(xen.info), known(xen.maxmem_kb)
    total = int(info.get("total_memory", "0") or 0)
    guests = []
    for d in xen.guests():
        if d.name not in maxmem or maxmem[d.name] is None:
            raise CannotCheck(f"guest {d.name} has {'no memory limit' if d.name in maxmem else 'no xentop row'}")
        guests.append((d.name, int(maxmem[d.name] or 0) // 1024))
    room = total - dom0
    if room <= 0:
        raise CannotCheck(f"host memory {total} MB is not more than Dom0's {dom0} MB")
    want = sum(mb for _, mb in guests)
    each = ", ".join(f"{n} {mb}" for n, mb in guests) or "no guests"
    how = f"guests' maximum memory {want} MB ({each}) vs {room} MB left after Dom0 ({total} MB - {dom0} MB)"
    return round(want / room, 2), how


def not_there(xen: XenFacts, needs: str = "dom0") -> CheckResult | None:
    """Skip a property of a Dom0 (or of Xen) on a machine known not to be one; None when it may apply."""
    role = xen.role
    if not isinstance(role, str) or role == needs or (needs == "xen" and role != "none"):
        return None
    what = "not running under Xen" if role == "none" else f"not a Xen Dom0 (running as {role})"
    return skipped(f"{what} (see {ROLE_ITEM})", xen.origin)


def field(exp: FieldExpectation, xen: XenFacts) -> CheckResult:
    """``role``, ``version``, ``dom0_memory_mb`` or ``guest_memory_overcommit``."""
    if exp.field == "role":
        result = compare(exp.matcher, xen.role, xen.origin)
        if result.outcome == "failed":
            gist = "not running under Xen" if xen.role == "none" else f"running as {xen.role}"
            return failed(f"{gist}, expected {exp.matcher.describe()} ({xen.how})", result.expected, result.found, xen.origin)
        return result
    skip = not_there(xen, "xen" if exp.field == "version" else "dom0")
    if skip:
        return skip
    if exp.field == "version":
        return compare(exp.matcher, xen.version, xen.origin)
    if exp.field == "dom0_memory_mb":
        return compare(exp.matcher, xen.dom0_mb(), "xl list")
    ratio, how = _overcommit(xen)
    result = compare(exp.matcher, ratio, "xl info, xl list, xentop -b")
    if result.outcome == "failed" and not xen.guests():
        # no guest running yet (a Dom0 just installed): what their memory will add up to cannot be seen
        raise CannotCheck(f"no guest is running (xl list shows Domain-0 only), so the guests' memory overcommit cannot be judged "
                          f"yet ({how}); start the guests and check again")
    return replace(result, message=f"{result.message}: {how}", found=show(ratio))


def cmdline(exp: ParamExpectation, xen: XenFacts, kernel: KernelFacts) -> CheckResult:
    """A hypervisor parameter: on the running Xen (``xl info``), and for the next boot in the boot loader configuration."""
    skip = not_there(xen)
    if skip:
        return skip
    return param_both_ways(exp, list(known(xen.cmdline)), "xl info xen_commandline", kernel.boot, "xen")


def draft_fields(xen: XenFacts) -> dict[str, object]:
    """Role and version series of a Xen host or guest; nothing for a machine not under Xen."""
    if xen.role not in ("dom0", "domU"):
        return {}
    data: dict[str, object] = {"role": xen.role}
    v = xen.version_tuple()
    if v and len(v) >= 2:
        data["version"] = {"version": f">={v[0]}.{v[1]},<{v[0]}.{v[1] + 1}"}
    return data
