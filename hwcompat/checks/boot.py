"""Boot checks: kernel build options, command-line parameters and boot-time modules.

Parameters and modules are compared both ways: what runs now and what the next boot will do.
"""

from __future__ import annotations

from hwcompat.checks import compare
from hwcompat.facts import Unknown
from hwcompat.facts.boot import BootFacts
from hwcompat.facts.kernel import KernelFacts
from hwcompat.parsers.cmdline import CmdlineParam
from hwcompat.profile.model import FieldExpectation, ModuleExpectation, ParamExpectation
from hwcompat.results import CheckResult, cannot_check

LINUX_VARS = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")


def config(exp: FieldExpectation, boot: BootFacts | Unknown) -> CheckResult:
    """A kernel build option (``n`` when not set or not in the config at all)."""
    subject = f"kernel config {exp.field}"
    if isinstance(boot, Unknown):
        return cannot_check(subject, boot.reason, str(exp.matcher.origin), exp.matcher.describe())
    if isinstance(boot.config, Unknown):
        return cannot_check(subject, boot.config.reason, str(exp.matcher.origin), exp.matcher.describe())
    return compare(subject, exp.matcher, boot.config.get(exp.field, "n"), boot.config_origin)


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


def param_both_ways(subject: str, exp: ParamExpectation, running: list[CmdlineParam] | Unknown, running_from: str,
                    configured: list[CmdlineParam] | Unknown, variables: tuple[str, ...], fix: str) -> CheckResult:
    """Compare a parameter on the running command line and in the GRUB configuration.

    :param fix: the file to edit, named in messages (``/etc/default/grub``)
    """
    origin = str(exp.origin)
    want = exp.name if exp.state == "present" else f"{exp.name} absent" if exp.state == "absent" else (
        f"{exp.name}={exp.matcher.describe() if exp.matcher else ''}")
    if isinstance(running, Unknown):
        return cannot_check(subject, running.reason, origin, want)
    where = " or ".join(variables)
    now = _has(running, exp)
    if isinstance(configured, Unknown):
        if (exp.state == "absent") != now:
            return cannot_check(subject, f"correct now, but the next boot cannot be checked: {configured.reason}", origin, want)
        return CheckResult("failed", subject, f"wrong now ({_show(running, exp.name)} on {running_from}), and the next boot cannot be checked: "
                           f"{configured.reason}", want, _show(running, exp.name), origin, running_from)
    later = _has(configured, exp)
    found = f"running: {_show(running, exp.name)}; {where}: {_show(configured, exp.name)}"
    wanted = exp.state != "absent"
    if now == wanted and later == wanted:
        return CheckResult("passed", subject, f"{'set' if wanted else 'absent'} now and at next boot", want, found, origin, running_from)
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
    return CheckResult("failed", subject, message, want, found, origin, running_from)


def _param_text(exp: ParamExpectation) -> str:
    if exp.state == "value" and exp.matcher is not None:
        data = exp.matcher.to_data()
        return f"{exp.name}={data}" if isinstance(data, str) else f"{exp.name}=<{exp.matcher.describe()}>"
    return exp.name


def cmdline(exp: ParamExpectation, boot: BootFacts | Unknown) -> CheckResult:
    """A kernel parameter: on /proc/cmdline now, and in GRUB_CMDLINE_LINUX[_DEFAULT] for the next boot."""
    subject = f"kernel cmdline {exp.name}"
    if isinstance(boot, Unknown):
        return cannot_check(subject, boot.reason, str(exp.origin))
    running = list(boot.cmdline) if not isinstance(boot.cmdline, Unknown) else boot.cmdline
    return param_both_ways(subject, exp, running, boot.origin, boot.grub_words(*LINUX_VARS), LINUX_VARS, "/etc/default/grub")


def boot_module(exp: ModuleExpectation, kernel: KernelFacts | Unknown, boot: BootFacts | Unknown) -> CheckResult:
    """A module listed (or not) to load at boot, compared with what is loaded now."""
    subject = f"kernel boot module {exp.name}"
    origin = str(exp.origin)
    for facts in (kernel, boot):
        if isinstance(facts, Unknown):
            return cannot_check(subject, facts.reason, origin, exp.state)
    assert isinstance(kernel, KernelFacts) and isinstance(boot, BootFacts)
    if isinstance(boot.boot_modules, Unknown):
        return cannot_check(subject, boot.boot_modules.reason, origin, exp.state)
    if isinstance(kernel.loaded, Unknown):
        return cannot_check(subject, kernel.loaded.reason, origin, exp.state)
    listed = boot.boot_modules.get(exp.name)
    loaded = exp.name in kernel.loaded or exp.name in kernel.builtin
    found = f"{'listed in ' + listed if listed else 'not listed'}; {'loaded' if loaded else 'not loaded'}"
    if exp.state == "not_listed":
        if listed:
            return CheckResult("failed", subject, f"listed in {listed}: remove that line", "not listed", found, origin, boot.origin)
        return CheckResult("passed", subject, "not listed to load at boot", "not listed", found, origin, boot.origin)
    if listed and loaded:
        return CheckResult("passed", subject, f"loaded, and listed in {listed}", "listed and loaded", found, origin, boot.origin)
    if listed:
        message = f"listed in {listed} but not loaded: run `modprobe {exp.name}` (or reboot) and read dmesg if it fails"
    elif loaded:
        message = f"loaded now, not loaded at next boot: add {exp.name} to /etc/modules"
    else:
        message = f"not loaded and not listed: add {exp.name} to /etc/modules and run `modprobe {exp.name}`"
    return CheckResult("failed", subject, message, "listed and loaded", found, origin, boot.origin)
