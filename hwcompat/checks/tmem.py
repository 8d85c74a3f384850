"""tmem checks: can this kernel and hypervisor still do tmem, and is it set up right.

tmem left Xen in 4.13 and Linux in 5.3 (with self-ballooning); cleancache left Linux in 5.17
and frontswap in 6.6 (shared/reference/domain-facts.md C.1). When tmem cannot work at all, one
item (``supported``) fails with the reason and every other tmem item is skipped pointing at it.
"""

from __future__ import annotations

from hwcompat.checks import xen as xen_checks
from hwcompat.facts import Unknown, unknown_part
from hwcompat.facts.boot import BootFacts
from hwcompat.facts.kernel import KernelFacts
from hwcompat.facts.tmem import TmemFacts
from hwcompat.facts.xen import XenFacts
from hwcompat.matchers import version_tuple
from hwcompat.profile.model import ParamExpectation, TmemItem
from hwcompat.results import CheckResult, cannot_check

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


def _linux(kernel: KernelFacts | Unknown) -> tuple[int, ...] | Unknown:
    if isinstance(kernel, Unknown):
        return kernel
    if isinstance(kernel.release, Unknown):
        return kernel.release
    return version_tuple(kernel.release) or Unknown(f"kernel release {kernel.release!r} has no version number")


def _blocker(item: TmemItem, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown) -> str | Unknown | None:
    """Why tmem cannot work here (a sentence), Unknown when that cannot be told, None when it can work."""
    if isinstance(xen, Unknown):
        return xen
    want = "dom0" if item.role == "dom0" else "domU"
    if isinstance(xen.role, Unknown):
        return xen.role
    if xen.role != want:
        what = "a Xen Dom0" if want == "dom0" else "a Xen guest"
        gist = "not running under Xen" if xen.role == "none" else f"running as {xen.role}"
        return f"the tmem {item.role} role needs {what}: {gist} ({xen.how})"
    v = xen.version_tuple()
    if v is not None and v >= XEN_REMOVED:
        return f"tmem cannot work on Xen {xen.version}: it was removed from the hypervisor in Xen 4.13"
    if item.role == "guest":
        linux = _linux(kernel)
        if isinstance(linux, Unknown):
            return linux
        if linux >= LINUX_REMOVED:
            release = ".".join(map(str, linux[:2]))
            return (f"tmem cannot work on Linux {release}: the driver was removed in 5.3 (with self-ballooning; "
                    "cleancache followed in 5.17, frontswap in 6.6)")
    return None


def supported(item: TmemItem, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown) -> CheckResult:
    """Whether this kernel and hypervisor can still do tmem in this role."""
    subject = f"tmem {item.role} supported"
    blocker = _blocker(item, kernel, xen)
    if isinstance(blocker, Unknown):
        return cannot_check(subject, blocker.reason, str(item.origin), "tmem possible")
    if blocker:
        return CheckResult("failed", subject, blocker, "tmem possible", "not possible", str(item.origin))
    assert isinstance(xen, XenFacts)
    linux = "" if isinstance(kernel, Unknown) else f"Linux {kernel.release} "
    return CheckResult("passed", subject, f"{linux}under Xen {xen.version} can use tmem", "tmem possible", "possible", str(item.origin), xen.origin)


def _gate(item: TmemItem, subject: str, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown) -> CheckResult | None:
    blocker = _blocker(item, kernel, xen)
    if blocker is None:
        return None
    why = "cannot tell whether tmem can work here" if isinstance(blocker, Unknown) else "tmem cannot work here"
    return CheckResult("skipped", subject, f"{why} (see test_tmem_supported)", origin=str(item.origin))


def config(item: TmemItem, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown, boot: BootFacts | Unknown) -> CheckResult:
    """A guest kernel build option tmem needs (or, for CONFIG_ZSWAP, must not have)."""
    subject = f"tmem kernel config {item.name}"
    gated = _gate(item, subject, kernel, xen)
    if gated:
        return gated
    values, why = GUEST_CONFIG[item.name]
    expected = " or ".join(values)
    gap = unknown_part(boot, "config")
    if gap:
        return cannot_check(subject, gap.reason, str(item.origin), expected)
    assert isinstance(boot, BootFacts) and isinstance(boot.config, dict)
    value = boot.config.get(item.name, "n")
    if value in values:
        return CheckResult("passed", subject, f"{item.name}={value}", expected, value, str(item.origin), boot.config_origin)
    return CheckResult("failed", subject, f"{item.name} is {value}, needs {expected}: {why}; rebuild the kernel with it",
                       expected, value, str(item.origin), boot.config_origin)


def module(item: TmemItem, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown, boot: BootFacts | Unknown) -> CheckResult:
    """The tmem module is loaded now and listed to load at boot (or the driver is built in)."""
    subject = "tmem module"
    gated = _gate(item, subject, kernel, xen)
    if gated:
        return gated
    assert isinstance(kernel, KernelFacts)
    if not isinstance(boot, Unknown) and not isinstance(boot.config, Unknown) and boot.config.get("CONFIG_XEN_TMEM") == "y":
        return CheckResult("passed", subject, "built into the kernel (CONFIG_XEN_TMEM=y): nothing to load", "loaded", "built in",
                           str(item.origin), boot.config_origin)
    from hwcompat.checks.boot import boot_module  # noqa: PLC0415 - one implementation of both ways
    from hwcompat.profile.model import ModuleExpectation  # noqa: PLC0415

    return boot_module(ModuleExpectation("tmem", "listed", item.origin), kernel, boot)


def param(item: TmemItem, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown, tmem: TmemFacts | Unknown) -> CheckResult:
    """A tmem module parameter is on (Y)."""
    subject = f"tmem parameter {item.name}"
    gated = _gate(item, subject, kernel, xen)
    if gated:
        return gated
    gap = unknown_part(tmem, "params")
    if gap:
        return cannot_check(subject, gap.reason, str(item.origin), "Y")
    assert isinstance(tmem, TmemFacts) and not isinstance(tmem.params, Unknown)
    if tmem.params is None:
        return CheckResult("skipped", subject, "the tmem module is not loaded (see test_tmem_module)", origin=str(item.origin))
    value = tmem.params.get(item.name)
    source = f"{tmem.origin}/{item.name}"
    if value == "Y":
        return CheckResult("passed", subject, "Y", "Y", "Y", str(item.origin), source)
    found = "missing (the kernel was built without the feature it belongs to)" if value is None else value
    return CheckResult("failed", subject, f"expected Y, found {found}: set tmem.{item.name}=1 on the kernel command line or "
                       f"`options tmem {item.name}=1` in /etc/modprobe.d", "Y", str(value), str(item.origin), source)


def selfballooning(item: TmemItem, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown, tmem: TmemFacts | Unknown) -> CheckResult:
    """Self-ballooning is running (the selfballoon group's ``selfballooning`` is 1)."""
    subject = "tmem self-ballooning"
    gated = _gate(item, subject, kernel, xen)
    if gated:
        return gated
    gap = unknown_part(tmem, "selfballooning")
    if gap:
        return cannot_check(subject, gap.reason, str(item.origin), "1")
    assert isinstance(tmem, TmemFacts) and not isinstance(tmem.selfballooning, Unknown)
    value = tmem.selfballooning
    if value == "1":
        return CheckResult("passed", subject, "self-ballooning is on", "1", "1", str(item.origin), tmem.origin)
    if value is None:
        return CheckResult("failed", subject, "no selfballoon group under xen_memory0: the kernel lacks CONFIG_XEN_SELFBALLOONING", "1", "absent",
                           str(item.origin), tmem.origin)
    return CheckResult("failed", subject, f"self-ballooning is off ({value}): load tmem with selfballooning=1", "1", value, str(item.origin), tmem.origin)


def swap(item: TmemItem, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown, boot: BootFacts | Unknown,
         tmem: TmemFacts | Unknown) -> CheckResult:
    """At least one swap area is active: frontswap only sees pages on their way to swap."""
    subject = "tmem swap"
    gated = _gate(item, subject, kernel, xen)
    if gated:
        return gated
    gap = unknown_part(boot, "swaps")
    if gap:
        return cannot_check(subject, gap.reason, str(item.origin), "a swap area")
    assert isinstance(boot, BootFacts) and isinstance(boot.swaps, tuple)
    if boot.swaps:
        areas = ", ".join(f"{s.filename} ({s.size_kb // 1024} MB)" for s in boot.swaps)
        stored = ""
        if not isinstance(tmem, Unknown) and isinstance(tmem.frontswap_stores, int):
            stored = f"; frontswap has stored {tmem.frontswap_stores} pages in tmem"
        return CheckResult("passed", subject, f"active: {areas}{stored}", "a swap area", areas, str(item.origin), "/proc/swaps")
    return CheckResult("failed", subject, "no swap area is active: without swap, frontswap has nothing to take and the guest runs out of "
                       "memory; add a swap partition or file (a small one is enough) and enable it in /etc/fstab",
                       "a swap area", "none", str(item.origin), "/proc/swaps")


def xen_cmdline(item: TmemItem, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown, boot: BootFacts | Unknown) -> CheckResult:
    """``tmem`` is on the running Xen command line and in GRUB_CMDLINE_XEN[_DEFAULT] (tmem is off by default)."""
    gated = _gate(item, "tmem on the Xen command line", kernel, xen)
    if gated:
        return gated
    return xen_checks.cmdline(ParamExpectation("tmem", "present", None, item.origin), xen, boot)


def activity(item: TmemItem, kernel: KernelFacts | Unknown, xen: XenFacts | Unknown) -> CheckResult:
    """Guests use tmem: clients in ``xl tmem-list -a`` with persistent puts."""
    subject = "tmem guest activity"
    gated = _gate(item, subject, kernel, xen)
    if gated:
        return gated
    assert isinstance(xen, XenFacts)
    if isinstance(xen.tmem, Unknown):
        return cannot_check(subject, xen.tmem.reason, str(item.origin), "guests with persistent puts")
    names = {d.domid: d.name for d in xen.domains} if not isinstance(xen.domains, Unknown) else {}
    clients = []
    for entry in xen.tmem:
        if entry.kind == "C":
            ci = entry.get("CI") or "?"
            name = names.get(int(ci), f"domain {ci}") if ci.isdigit() else f"client {ci}"
            clients.append((name, int(entry.get("Pp") or 0), int(entry.get("Gp") or 0)))
    active = [c for c in clients if c[1] > 0]
    found = "; ".join(f"{n}: {p} puts, {g} gets" for n, p, g in clients) or "no tmem clients"
    if active:
        return CheckResult("passed", subject, f"{len(active)} guest(s) use tmem: {found}", "at least one guest", found,
                           str(item.origin), "xl tmem-list -a")
    return CheckResult("failed", subject, f"no guest puts pages into tmem ({found}): check each guest's tmem module and swap",
                       "at least one guest", found, str(item.origin), "xl tmem-list -a")
