"""Kernel checks: release, module states, build options, command-line parameters and boot-time modules.

Built-in modules count as loaded and available. Parameters and boot modules are compared both
ways: what runs now and what the next boot will do.
"""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.errors import CannotCheck
from hwcompat.facts import known
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
LINUX_VARS = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")
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


def param_both_ways(exp: ParamExpectation, running: list[CmdlineParam], running_from: str, facts: KernelFacts,
                    variables: tuple[str, ...], fix: str) -> CheckResult:
    """Compare a parameter on the running command line and in the GRUB configuration.

    :param facts: the kernel facts, whose GRUB values say what the next boot gets
    :param variables: the GRUB variables that feed this command line
    :param fix: the file to edit, named in messages (``/etc/default/grub``)
    """
    want = exp.name if exp.state == "present" else f"{exp.name} absent" if exp.state == "absent" else (
        f"{exp.name}={exp.matcher.describe() if exp.matcher else ''}")
    where = " or ".join(variables)
    now = _has(running, exp)
    try:
        configured = facts.grub_words(*variables)
    except CannotCheck as err:
        if (exp.state == "absent") != now:
            return cannot_check(f"correct now, but the next boot cannot be checked: {err.reason}", want, err.broken)
        return failed(f"wrong now ({_show(running, exp.name)} on {running_from}), and the next boot cannot be checked: {err.reason}",
                      want, _show(running, exp.name), running_from)
    later = _has(configured, exp)
    found = f"running: {_show(running, exp.name)}; {where}: {_show(configured, exp.name)}"
    wanted = exp.state != "absent"
    if now == wanted and later == wanted:
        return passed(f"{'set' if wanted else 'absent'} now and at next boot", want, found, running_from)
    if exp.state == "absent":
        if now and later:
            message = f"present now and at next boot: remove {exp.name} from {where} in {fix}, run update-grub and reboot"
        elif now:
            message = "active now, gone at next boot: reboot pending"
        else:
            message = f"not active now, but {where} in {fix} brings it back at next boot: remove it and run update-grub"
    elif later and not now:
        message = "configured but not active: reboot pending (run update-grub and reboot)"
    elif now and not later:
        message = f"active now, lost at next boot: add {_param_text(exp)} to {where} in {fix} and run update-grub"
    else:
        message = f"missing: not on the running command line and not in {where}: add {_param_text(exp)} to {fix}, run update-grub and reboot"
    return failed(message, want, found, running_from)


def cmdline(exp: ParamExpectation, facts: KernelFacts) -> CheckResult:
    """A kernel parameter: on /proc/cmdline now, and in GRUB_CMDLINE_LINUX[_DEFAULT] for the next boot."""
    return param_both_ways(exp, list(known(facts.cmdline)), facts.cmdline_origin, facts, LINUX_VARS, "/etc/default/grub")


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
