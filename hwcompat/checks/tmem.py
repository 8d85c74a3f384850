"""tmem checks: can this kernel and hypervisor still do tmem, and is it set up right.

tmem left Xen in 4.13 and Linux in 5.3 (with self-ballooning); cleancache left Linux in 5.17
and frontswap in 6.6 (Xen 4.13 release notes; Linux commits "xen: remove tmem driver" in v5.3,
"mm: remove cleancache" in v5.17, "mm: kill frontswap" in v6.6). When tmem cannot work at all, one
item (``supported``) fails with the reason and every other tmem item is skipped pointing at it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwcompat.checks import kernel as kernel_checks
from hwcompat.checks import xen as xen_checks
from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown, known
from hwcompat.facts.kernel import OSRELEASE, KernelFacts
from hwcompat.matchers import version_tuple
from hwcompat.profile.model import ParamExpectation, StateExpectation, TmemItem
from hwcompat.results import CheckResult, failed, passed, skipped

if TYPE_CHECKING:  # annotations only: the facts module loads when its domain is first collected
    from hwcompat.facts.tmem import TmemFacts
    from hwcompat.facts.xen import XenFacts

LINUX_REMOVED = (5, 3)
XEN_REMOVED = (4, 13)

#: guest kernel options: expected values and why they matter
GUEST_CONFIG = {
    "CONFIG_CLEANCACHE": (("y",), "cleancache puts clean page-cache pages in tmem's ephemeral pool"),
    "CONFIG_FRONTSWAP": (("y",), "frontswap puts swapped-out pages in tmem's persistent pool"),
    "CONFIG_XEN_SELFBALLOONING": (("y",), "self-ballooning keeps the guest near what it needs"),
    "CONFIG_XEN_TMEM": (("m", "y"), "the tmem driver itself"),
    "CONFIG_ZSWAP": (("n",), "zswap would take frontswap's pages before tmem sees them"),
}
GUEST_PARAMS = ("cleancache", "frontswap", "selfballooning", "selfshrinking")


def _blockers(item: TmemItem, kernel: KernelFacts, xen: XenFacts) -> tuple[list[str], Unknown | None]:
    """Every reason tmem cannot work here, the guest's own kernel first, each with its evidence.

    Also what could not be told (None when everything could).
    """
    found: list[str] = []
    unknown: Unknown | None = None
    if item.role == "guest":
        linux = version_tuple(kernel.release) if isinstance(kernel.release, str) else None
        if isinstance(kernel.release, Unknown):
            unknown = kernel.release
        elif linux is None:
            unknown = Unknown(f"kernel release {kernel.release!r} has no version number")
        elif linux >= LINUX_REMOVED:
            found.append(f"this guest's kernel is Linux {'.'.join(map(str, linux[:2]))} ({kernel.release} in {OSRELEASE}): "
                         "its tmem driver was removed in Linux 5.3 (with self-ballooning; cleancache followed in 5.17, frontswap in 6.6)")
    want = "dom0" if item.role == "dom0" else "domU"
    if isinstance(xen.role, Unknown):
        return found, unknown or xen.role
    if xen.role != want:
        what = "a Xen Dom0" if want == "dom0" else "a Xen guest"
        gist = "not running under Xen" if xen.role == "none" else f"running as {xen.role}"
        found.append(f"the tmem {item.role} role needs {what}: {gist} ({xen.how})")
        return found, unknown
    v = xen.version_tuple()
    if v is None:
        unknown = unknown or (xen.version if isinstance(xen.version, Unknown) else Unknown(f"Xen version {xen.version!r} has no number"))
    elif v >= XEN_REMOVED:
        found.append(f"the hypervisor is Xen {xen.version} ({xen.version_origin}): tmem was removed from it in Xen 4.13")
    return found, unknown


def supported_item(role: str) -> str:
    """The id of the item that says whether tmem can work in this role."""
    return f"test_tmem_supported[{role}]"


def supported(item: TmemItem, kernel: KernelFacts, xen: XenFacts) -> CheckResult:
    """Whether this kernel and hypervisor can still do tmem in this role; every reason it cannot."""
    found, unknown = _blockers(item, kernel, xen)
    if found:
        why = f": {found[0]}" if len(found) == 1 else f", for {len(found)} reasons: " + "; ".join(f"({n}) {b}" for n, b in enumerate(found, 1))
        also = f" (not known either: {unknown.reason})" if unknown else ""
        return failed(f"tmem cannot work here{why}{also}", "tmem possible", "not possible", xen.origin)
    if unknown:
        known(unknown)
    linux = f"Linux {kernel.release} " if isinstance(kernel.release, str) else ""
    return passed(f"{linux}under Xen {xen.version} can use tmem", "tmem possible", "possible", xen.origin)


def _gate(item: TmemItem, kernel: KernelFacts, xen: XenFacts) -> CheckResult | None:
    found, unknown = _blockers(item, kernel, xen)
    if not found and not unknown:
        return None
    why = "tmem cannot work here" if found else "cannot tell whether tmem can work here"
    return skipped(f"{why} (see {supported_item(item.role)})")


def config(item: TmemItem, kernel: KernelFacts, xen: XenFacts) -> CheckResult:
    """A guest kernel build option tmem needs (or, for CONFIG_ZSWAP, must not have)."""
    gated = _gate(item, kernel, xen)
    if gated:
        return gated
    values, why = GUEST_CONFIG[item.name]
    expected = " or ".join(values)
    value = known(kernel.config).get(item.name, "n")
    if value in values:
        return passed(f"{item.name}={value}", expected, value, kernel.config_origin)
    return failed(f"{item.name} is {value}, needs {expected}: {why}; rebuild the kernel with it", expected, value, kernel.config_origin)


def module(item: TmemItem, kernel: KernelFacts, xen: XenFacts) -> CheckResult:
    """The tmem module is loaded now and listed to load at boot (or the driver is built in)."""
    gated = _gate(item, kernel, xen)
    if gated:
        return gated
    if isinstance(kernel.config, dict) and kernel.config.get("CONFIG_XEN_TMEM") == "y":
        return passed("built into the kernel (CONFIG_XEN_TMEM=y): nothing to load", "loaded", "built in", kernel.config_origin)
    return kernel_checks.boot_module(StateExpectation("tmem", "listed", item.origin), kernel)


def param(item: TmemItem, kernel: KernelFacts, xen: XenFacts, tmem: TmemFacts) -> CheckResult:
    """A tmem module parameter is on (Y)."""
    gated = _gate(item, kernel, xen)
    if gated:
        return gated
    params = known(tmem.params)
    if params is None:
        return skipped("the tmem module is not loaded (see test_tmem_module[tmem])")
    value = params.get(item.name)
    source = f"{tmem.origin}/{item.name}"
    if value == "Y":
        return passed("Y", "Y", "Y", source)
    found = "missing (the kernel was built without the feature it belongs to)" if value is None else value
    return failed(f"expected Y, found {found}: set tmem.{item.name}=1 on the kernel command line or "
                  f"`options tmem {item.name}=1` in /etc/modprobe.d", "Y", str(value), source)


def selfballooning(item: TmemItem, kernel: KernelFacts, xen: XenFacts, tmem: TmemFacts) -> CheckResult:
    """Self-ballooning is running (the selfballoon group's ``selfballooning`` is 1)."""
    gated = _gate(item, kernel, xen)
    if gated:
        return gated
    value = known(tmem.selfballooning)
    if value == "1":
        return passed("self-ballooning is on", "1", "1", tmem.origin)
    if value is None:
        return failed("no selfballoon group under xen_memory0: the kernel lacks CONFIG_XEN_SELFBALLOONING", "1", "absent", tmem.origin)
    return failed(f"self-ballooning is off ({value}): load tmem with selfballooning=1", "1", value, tmem.origin)


def swap(item: TmemItem, kernel: KernelFacts, xen: XenFacts, tmem: TmemFacts) -> CheckResult:
    """At least one swap area is active: frontswap only sees pages on their way to swap."""
    gated = _gate(item, kernel, xen)
    if gated:
        return gated
    swaps = known(kernel.swaps)
    if swaps:
        areas = ", ".join(f"{s.filename} ({s.size_kb // 1024} MB)" for s in swaps)
        stored = f"; frontswap has stored {tmem.frontswap_stores} pages in tmem" if isinstance(tmem.frontswap_stores, int) else ""
        return passed(f"active: {areas}{stored}", "a swap area", areas, "/proc/swaps")
    return failed("no swap area is active: without swap, frontswap has nothing to take and the guest runs out of "
                  "memory; add a swap partition or file (a small one is enough) and enable it in /etc/fstab",
                  "a swap area", "none", "/proc/swaps")


def xen_cmdline(item: TmemItem, kernel: KernelFacts, xen: XenFacts) -> CheckResult:
    """``tmem`` is on the running Xen command line and in GRUB_CMDLINE_XEN[_DEFAULT] (tmem is off by default)."""
    gated = _gate(item, kernel, xen)
    if gated:
        return gated
    return xen_checks.cmdline(ParamExpectation("tmem", "present", None, item.origin), xen, kernel)


def activity(item: TmemItem, kernel: KernelFacts, xen: XenFacts) -> CheckResult:
    """Guests use tmem: clients in ``xl tmem-list -a`` with persistent puts."""
    gated = _gate(item, kernel, xen)
    if gated:
        return gated
    entries = known(xen.tmem)
    names = {d.domid: d.name for d in xen.domains} if not isinstance(xen.domains, Unknown) else {}
    clients = []
    for entry in entries:
        if entry.kind == "C":
            ci = entry.get("CI") or "?"
            name = names.get(int(ci), f"domain {ci}") if ci.isdigit() else f"client {ci}"
            clients.append((name, int(entry.get("Pp") or 0), int(entry.get("Gp") or 0)))
    active = [c for c in clients if c[1] > 0]
    found = "; ".join(f"{n}: {p} puts, {g} gets" for n, p, g in clients) or "no tmem clients"
    if active:
        return passed(f"{len(active)} guest(s) use tmem: {found}", "at least one guest", found, "xl tmem-list -a")
    # with no guest running (a Dom0 just installed), nothing could have used tmem yet: not a fault of this machine
    try:
        guests = xen.guests()
    except CannotCheck as err:
        raise CannotCheck(f"no guest puts pages into tmem ({found}), and whether any guest runs is unknown: {err.reason}") from None
    if not guests:
        raise CannotCheck(f"no guest is running (xl list shows Domain-0 only), so no guest can have used tmem yet ({found}); "
                          "start a guest that uses tmem and check again")
    return failed(f"no guest puts pages into tmem ({found}): check each guest's tmem module and swap", "at least one guest", found, "xl tmem-list -a")
