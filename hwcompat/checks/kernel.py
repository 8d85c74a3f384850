"""Kernel checks: release range and module states (built-in counts as loaded and available)."""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.facts import Unknown
from hwcompat.facts.kernel import KernelFacts
from hwcompat.profile.model import FieldExpectation, ModuleExpectation
from hwcompat.results import CheckResult, cannot_check

STATES = {
    "loaded": "loaded or built in",
    "available": "loadable (on disk) or built in",
    "not_loaded": "not loaded and not built in",
    "absent": "neither loaded, built in, nor on disk",
}


def release(exp: FieldExpectation, facts: KernelFacts | Unknown) -> CheckResult:
    """The running kernel's release string."""
    if isinstance(facts, Unknown):
        return cannot_check("kernel release", facts.reason, str(exp.matcher.origin), exp.matcher.describe())
    return compare("kernel release", exp.matcher, facts.release, facts.release_origin)


def module(exp: ModuleExpectation, facts: KernelFacts | Unknown) -> CheckResult:
    """A module's state: loaded, available, not_loaded or absent."""
    subject = f"kernel module {exp.name}"
    origin = str(exp.origin)
    expected = STATES[exp.state]
    if isinstance(facts, Unknown):
        return cannot_check(subject, facts.reason, origin, expected)
    if isinstance(facts.loaded, Unknown):
        return cannot_check(subject, facts.loaded.reason, origin, expected)
    loaded = exp.name in facts.loaded
    builtin = exp.name in facts.builtin
    on_disk = None if isinstance(facts.on_disk, Unknown) else exp.name in facts.on_disk
    state = "loaded" if loaded else "built into the kernel" if builtin else "on disk, not loaded" if on_disk else "not loaded"

    def verdict(ok: bool) -> CheckResult:
        message = state if ok else f"expected {expected}, found {state}"
        return CheckResult("passed" if ok else "failed", subject, message, expected, state, origin, facts.origin)

    if exp.state == "loaded":
        return verdict(loaded or builtin)
    if exp.state == "not_loaded":
        if not loaded and not builtin and not facts.builtin_complete:
            return cannot_check(subject, "modules.builtin was not readable, so a built-in module cannot be ruled out", origin, expected)
        return verdict(not loaded and not builtin)
    if loaded or builtin:
        return verdict(exp.state == "available")
    if on_disk is None:
        reason = facts.on_disk.reason if isinstance(facts.on_disk, Unknown) else ""
        return cannot_check(subject, f"cannot tell what is on disk: {reason}", origin, expected)
    if not facts.builtin_complete:
        return cannot_check(subject, "modules.builtin was not readable, so a built-in module cannot be ruled out", origin, expected)
    return verdict(on_disk if exp.state == "available" else not on_disk)
