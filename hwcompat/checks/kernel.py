"""Kernel checks: release, module states, build options, command-line parameters and boot-time modules.

Built-in modules count as loaded and available. Parameters and boot modules are compared both
ways: what runs now and what the next boot will do.
"""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown, known
from hwcompat.facts.boot import NextBoot, Params
from hwcompat.facts.kernel import KernelFacts
from hwcompat.matchers import version_tuple
from hwcompat.parsers.cmdline import CmdlineParam
from hwcompat.profile.model import FieldExpectation, ParamExpectation, StateExpectation
from hwcompat.results import CheckResult, cannot_check, failed, passed

STATES = {
    "loaded": "loaded or built in",
    "available": "loadable (on disk) or built in",
    "not_loaded": "not loaded and not built in",
    "absent": "neither loaded, built in, nor on disk",
}
NO_BUILTIN_LIST = "modules.builtin was not readable, so a built-in module cannot be ruled out"


def _certain(name: str, facts: KernelFacts) -> None:
    if name in facts.uncertain:
        raise CannotCheck(f"/proc/modules lists no module, yet /sys/module shows {name}: built in, or loaded with the evidence of it lost")


def release(exp: FieldExpectation, facts: KernelFacts) -> CheckResult:
    """The running kernel's release string."""
    return compare(exp.matcher, facts.release, facts.release_origin)


def module(exp: StateExpectation, facts: KernelFacts) -> CheckResult:
    """A module's state: loaded, available, not_loaded or absent."""
    expected = STATES[exp.state]
    _certain(exp.name, facts)
    loaded = exp.name in known(facts.loaded)
    builtin = exp.name in facts.builtin
    on_disk = None if not isinstance(facts.on_disk, frozenset) else exp.name in facts.on_disk
    state = "loaded" if loaded else "built into the kernel" if builtin else "on disk, not loaded" if on_disk else "not loaded"

    def verdict(ok: bool) -> CheckResult:
        return (passed if ok else failed)(state if ok else f"expected {expected}, found {state}", expected, state, facts.origin)

    if exp.state == "loaded":
        return verdict(loaded or builtin)
    if exp.state == "not_loaded":
        if not loaded and not builtin and not facts.builtin_complete:
            raise CannotCheck(NO_BUILTIN_LIST)
        return verdict(not loaded and not builtin)
    if loaded or builtin:
        return verdict(exp.state == "available")
    if not isinstance(facts.on_disk, frozenset):
        raise CannotCheck(f"cannot tell what is on disk: {facts.on_disk.reason}", facts.on_disk.broken)
    if not facts.builtin_complete:
        raise CannotCheck(NO_BUILTIN_LIST)
    return verdict(bool(on_disk) if exp.state == "available" else not on_disk)


def config(exp: FieldExpectation, facts: KernelFacts) -> CheckResult:
    """A kernel build option (``n`` when not set or not in the config at all)."""
    return compare(exp.matcher, known(facts.config).get(exp.field, "n"), facts.config_origin)


def _has(params: list[CmdlineParam], exp: ParamExpectation) -> bool:
    found = [p for p in params if p.name == exp.name]
    if exp.state == "value":
        return bool(found) and exp.matcher is not None and exp.matcher.matches(found[-1].value)
    return bool(found)


def _show(params: list[CmdlineParam], name: str) -> str:
    found = [p for p in params if p.name == name]
    if not found:
        return "absent"
    return name if found[-1].value is None else f"{name}={found[-1].value}"


def _param_text(exp: ParamExpectation) -> str:
    if exp.state == "value" and exp.matcher is not None:
        data = exp.matcher.to_data()
        return f"{exp.name}={data}" if isinstance(data, str) else f"{exp.name}=<{exp.matcher.describe()}>"
    return exp.name


def _next_boot(exp: ParamExpectation, boots: tuple[NextBoot, ...] | Unknown, part: str) -> tuple[bool, list[tuple[NextBoot, Params | None]]]:
    """Whether the parameter holds at the next boot, and what each boot loader configuration gives.

    :raises CannotCheck: when a configuration cannot be read, or they disagree (which one the
        machine boots from is not known then)
    """
    configs = known(boots)
    seen: list[tuple[NextBoot, Params | None]] = []
    for boot in configs:
        params = boot.linux if part == "linux" else boot.xen
        if isinstance(params, Unknown):
            reason = params.reason if len(configs) == 1 else f"{boot.loader}: {params.reason}"
            raise CannotCheck(reason, params.broken)
        seen.append((boot, params))
    verdicts = {_has(list(params or ()), exp) for _, params in seen}
    if len(verdicts) > 1:
        says = "; ".join(f"{_from(boot, part)}: {_later(params, exp.name, part)}" for boot, params in seen)
        raise CannotCheck(f"the boot loader configurations disagree, and which one this machine boots from cannot be told: {says}")
    return verdicts.pop(), seen


def _from(boot: NextBoot, part: str) -> str:
    return boot.linux_from if part == "linux" else boot.xen_from


def _later(params: Params | None, name: str, part: str) -> str:
    return _show(list(params), name) if params is not None else f"no {'Linux' if part == 'linux' else 'Xen'} at all"


def param_both_ways(exp: ParamExpectation, running: list[CmdlineParam], running_from: str, boots: tuple[NextBoot, ...] | Unknown,
                    part: str) -> CheckResult:
    """Compare a parameter on the running command line and in the boot loader configuration.

    :param boots: what the next boot may come from (:func:`hwcompat.facts.boot.collect`)
    :param part: ``linux`` (the kernel's command line) or ``xen`` (the hypervisor's)
    """
    want = exp.name if exp.state == "present" else f"{exp.name} absent" if exp.state == "absent" else (
        f"{exp.name}={exp.matcher.describe() if exp.matcher else ''}")
    now = _has(running, exp)
    try:
        later, seen = _next_boot(exp, boots, part)
    except CannotCheck as err:
        if (exp.state == "absent") != now:
            return cannot_check(f"correct now, but the next boot cannot be checked: {err.reason}", want, err.broken)
        return failed(f"wrong now ({_show(running, exp.name)} on {running_from}), and the next boot cannot be checked: {err.reason}",
                      want, _show(running, exp.name), running_from)
    found = f"running: {_show(running, exp.name)}; " + "; ".join(f"{_from(b, part)}: {_later(p, exp.name, part)}" for b, p in seen)
    wanted = exp.state != "absent"
    where = " and ".join(_from(b, part) for b, p in seen if p is not None)
    apply = " and ".join(dict.fromkeys(b.apply for b, p in seen if b.apply and p is not None))
    then = f" and {apply}" if apply else ""
    program = "Linux" if part == "linux" else "Xen"
    starts_none = [_from(b, part) for b, p in seen if p is None]
    if not where and wanted:
        gist = ("set now" if now else "not set now") + f", and the next boot does not start {program}: {'; '.join(starts_none)}"
        return failed(gist, want, found, running_from)
    if now == wanted and later == wanted:
        return passed(f"{'set' if wanted else 'absent'} now and at next boot", want, found, running_from)
    if exp.state == "absent":
        if now and later:
            message = f"present now and at next boot: remove {exp.name} from {where}{then}, and reboot"
        elif now:
            message = "active now, gone at next boot: reboot pending"
        else:
            message = f"not active now, but {where} brings it back at next boot: remove it{then}"
    elif later and not now:
        message = f"configured but not active: reboot pending ({apply + ' and ' if apply else ''}reboot)"
    elif now and not later:
        message = f"active now, lost at next boot: add {_param_text(exp)} to {where}{then}"
    else:
        message = f"missing: not on the running command line and not in {where}: add {_param_text(exp)} there{then}, and reboot"
    if starts_none:
        message += f" (besides, by {'; '.join(starts_none)}, the next boot may not start {program} at all)"
    return failed(message, want, found, running_from)


def cmdline(exp: ParamExpectation, facts: KernelFacts) -> CheckResult:
    """A kernel parameter: on /proc/cmdline now, and for the next boot in the boot loader configuration."""
    return param_both_ways(exp, list(known(facts.cmdline)), facts.cmdline_origin, facts.boot, "linux")


def boot_module(exp: StateExpectation, facts: KernelFacts) -> CheckResult:
    """A module listed (or not) to load at boot, compared with what is loaded now."""
    listed = known(facts.boot_modules).get(exp.name)
    _certain(exp.name, facts)
    loaded = exp.name in known(facts.loaded) or exp.name in facts.builtin
    found = f"{'listed in ' + listed if listed else 'not listed'}; {'loaded' if loaded else 'not loaded'}"
    if exp.state == "not_listed":
        if listed:
            return failed(f"listed in {listed}: remove that line", "not listed", found, "/etc/modules, /etc/modules-load.d")
        return passed("not listed to load at boot", "not listed", found, "/etc/modules, /etc/modules-load.d")
    if listed and loaded:
        return passed(f"loaded, and listed in {listed}", "listed and loaded", found, facts.origin)
    if listed:
        message = f"listed in {listed} but not loaded: run `modprobe {exp.name}` (or reboot) and read dmesg if it fails"
    elif loaded:
        message = f"loaded now, not loaded at next boot: add {exp.name} to /etc/modules"
    else:
        message = f"not loaded and not listed: add {exp.name} to /etc/modules and run `modprobe {exp.name}`"
    return failed(message, "listed and loaded", found, facts.origin)


def draft_release(facts: KernelFacts) -> dict[str, object]:
    """The release as a range of its major.minor series (a security update must not fail the profile)."""
    release = known(facts.release)
    v = version_tuple(release)
    return {"release": {"version": f">={v[0]}.{v[1]},<{v[0]}.{v[1] + 1}"} if v and len(v) >= 2 else release}


def draft_modules(facts: KernelFacts) -> dict[str, object]:
    """Every loaded module, loaded."""
    return dict.fromkeys(sorted(known(facts.loaded)), "loaded")
