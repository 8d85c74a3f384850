"""The next boot's command lines, from whichever boot loader the machine has: GRUB 2 defaults read
as the shell would (and "cannot be known" where only the shell can tell), GRUB legacy menus,
BootLoaderSpec entries with grubenv; several configurations count only when they agree."""

from __future__ import annotations

import pytest

from hwcompat.checks.kernel import param_both_ways
from hwcompat.errors import ParseError
from hwcompat.facts import Unknown, boot
from hwcompat.matchers import Equal, Origin
from hwcompat.parsers import grub_default, grub_legacy
from hwcompat.parsers.cmdline import CmdlineParam, parse
from hwcompat.profile.model import ParamExpectation
from selftests.conftest import REPO
from selftests.fakes import DictSource

CORPUS = REPO / "selftests" / "data" / "corpus"
RHEL84_ENTRY = (CORPUS / "bls_entries/insights--rhel84-bls-kernelopts.conf.txt").read_text()
RHEL80_ENTRY = (CORPUS / "bls_entries/insights--rhel80-bls-literal-options.conf.txt").read_text()
RHEL84_ENV = (CORPUS / "bls_entries/insights--rhel84-grubenv-kernelopts.txt").read_text()
RHEL8_GRUB = (CORPUS / "grub_default/insights--rhel8-sysconfig-grub-blscfg.txt").read_text()
CENTOS6 = (CORPUS / "grub_legacy/bbotte--centos6-xen4centos-grub.conf.txt").read_text()
RHEL50 = (CORPUS / "grub_legacy/bootinfo-forum--rhel5.0-xen-default1-grub.conf.txt").read_text()
NEW, OLD = "295e1ba1696e4fad9e062f096f92d147-4.18.0-305.el8.x86_64", "295e1ba1696e4fad9e062f096f92d147-4.18.0-80.1.2.el8_0.x86_64"


def rhel8(**files: str) -> DictSource:
    base = {"/etc/default/grub": RHEL8_GRUB, f"/boot/loader/entries/{NEW}.conf": RHEL84_ENTRY,
            f"/boot/loader/entries/{OLD}.conf": RHEL80_ENTRY, "/boot/grub2/grubenv": RHEL84_ENV}
    base.update(files)
    return DictSource({k: v for k, v in base.items() if v})


def words(params: object) -> list[str]:
    assert isinstance(params, tuple), params
    return [p.name if p.value is None else f"{p.name}={p.value}" for p in params]


def check(boots: object, name: str, running: str = "", part: str = "linux", value: str | None = None) -> tuple[str, str]:
    matcher = None if value is None else Equal(Origin("test", 1), value)
    exp = ParamExpectation(name, "present" if value is None else "value", matcher, Origin("test", 1))
    result = param_both_ways(exp, parse(running) if running else [], "/proc/cmdline", boots, part)  # type: ignore[arg-type]
    return result.outcome, result.message


def test_rhel8_bls_saved_entry_with_kernelopts_from_grubenv() -> None:
    [found] = boot.collect(rhel8())  # type: ignore[misc]
    assert found.loader == f"BootLoaderSpec (/boot/loader/entries/{NEW}.conf)"
    assert words(found.linux)[-3:] == ["console=ttyS0,115200", "noapic", "transparent_hugepages=never"]
    assert "no_timer_check" not in words(found.linux)  # GRUB_CMDLINE_LINUX does not reach BLS entries
    assert f"saved_entry in /boot/grub2/grubenv: {NEW}" in found.linux_from and "$kernelopts from /boot/grub2/grubenv" in found.linux_from
    assert found.xen is None and "boots Linux without Xen" in found.xen_from
    assert check(boot.collect(rhel8()), "noapic", running="ro noapic") == ("passed", "set now and at next boot")
    outcome, message = check(boot.collect(rhel8()), "tmem", part="xen", running="tmem")
    assert outcome == "failed" and message.startswith("set now, and the next boot does not start Xen: the default entry")


def test_bls_without_saved_entry_boots_the_newest_by_version() -> None:
    env = RHEL84_ENV.replace(f"saved_entry={NEW}\n", "")
    [found] = boot.collect(rhel8(**{"/boot/grub2/grubenv": env}))  # type: ignore[misc]
    assert found.loader.endswith(f"{NEW}.conf)")  # 4.18.0-305 sorts above 4.18.0-80
    env = RHEL84_ENV.replace(f"saved_entry={NEW}", f"saved_entry={NEW}\nnext_entry={OLD}")
    [found] = boot.collect(rhel8(**{"/boot/grub2/grubenv": env}))  # type: ignore[misc]
    assert found.loader.endswith(f"{OLD}.conf)") and "for one boot" in found.linux_from


@pytest.mark.parametrize(("files", "words_"), [
    ({"/boot/grub2/grubenv": RHEL84_ENV.replace(f"saved_entry={NEW}", "saved_entry=Fedora, with Xen hypervisor")},
     "names no entry of /boot/loader/entries ('Fedora, with Xen hypervisor'): it may be a menu entry grub.cfg makes itself"),
    ({"/boot/grub2/grubenv": RHEL84_ENV.replace("tuned_params=transparent_hugepages=never\n", "")},
     "uses $tuned_params, which the environment block does not set"),
    ({f"/boot/loader/entries/{NEW}.conf": RHEL84_ENTRY.replace("options", "\noptions")},
     "GRUB's blscfg stops reading at line 5 (a blank line or a key without a value), before the options line 6"),
    ({f"/boot/loader/entries/{NEW}.conf": RHEL84_ENTRY + "options quiet\n"},
     "it has 2 options lines: GRUB's blscfg uses the first, the BootLoaderSpec joins them"),
    ({"/etc/default/grub": RHEL8_GRUB.replace("GRUB_DEFAULT=saved", 'GRUB_DEFAULT="$(cat /etc/default-entry)"')},
     "GRUB_DEFAULT cannot be known: uses command substitution (/etc/default/grub:4)"),
])
def test_bls_default_or_options_that_cannot_be_told(files: dict[str, str], words_: str) -> None:
    [found] = boot.collect(rhel8(**files))  # type: ignore[misc]
    assert isinstance(found.linux, Unknown) and words_ in found.linux.reason
    outcome, message = check(boot.collect(rhel8(**files)), "noapic", running="noapic")
    assert outcome == "failed" and message.startswith("cannot check: correct now, but the next boot cannot be checked: ")


def test_grubenv_without_its_signature_is_unreadable_input() -> None:
    env = (CORPUS / "bls_entries/insights--rhel9-grubenv-no-kernelopts.txt").read_text()
    [found] = boot.collect(rhel8(**{"/boot/grub2/grubenv": env}))  # type: ignore[misc]
    assert isinstance(found.linux, Unknown) and found.linux.broken
    assert "grubenv line 1: no '# GRUB Environment Block' signature: GRUB ignores this file" in found.linux.reason


def test_bls_entries_with_blscfg_off_count_beside_grub2_and_must_agree() -> None:
    grub = RHEL8_GRUB.replace("GRUB_ENABLE_BLSCFG=true", "GRUB_ENABLE_BLSCFG=false")
    boots = boot.collect(rhel8(**{"/etc/default/grub": grub}))
    assert [b.loader for b in boots] == ["GRUB 2 (/etc/default/grub)", f"BootLoaderSpec (/boot/loader/entries/{NEW}.conf)"]  # type: ignore[union-attr]
    assert check(boots, "crashkernel", running="crashkernel=auto")[0] == "passed"  # both have it
    outcome, message = check(boots, "noapic", running="noapic")
    assert outcome == "failed" and "the boot loader configurations disagree" in message
    assert "GRUB_CMDLINE_LINUX or GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub: absent" in message and ": noapic" in message


def test_centos6_grub_conf_gives_xen_and_dom0_lines_of_the_default_entry() -> None:
    [found] = boot.collect(DictSource({"/boot/grub/grub.conf": CENTOS6, "/boot/grub/menu.lst": CENTOS6}))  # type: ignore[misc]
    assert words(found.xen)[:2] == ["dom0_mem=1024M,max:1024M", "cpuinfo"]
    assert words(found.linux)[-2:] == ["rhgb", "quiet"]
    assert found.xen_from == ("the kernel line of the default entry (/boot/grub/grub.conf:8, default=0 (line 2): "
                              "title 'CentOS (3.18.25-19.el6.x86_64)' (line 6))")
    assert check((found,), "tmem", running="tmem", part="xen") == ("failed", "active now, lost at next boot: add tmem to " + found.xen_from)


def test_legacy_default_that_boots_no_xen_or_cannot_be_told() -> None:
    [found] = boot.collect(DictSource({"/boot/grub/grub.conf": RHEL50}))  # type: ignore[misc]
    assert found.xen is None and "title 'Red Hat Enterprise Linux Server (2.6.18-53.el5)'" in found.xen_from
    assert words(found.linux) == ["ro", "root=LABEL=/", "rhgb", "quiet"]
    [saved] = boot.collect(DictSource({"/boot/grub/menu.lst": CENTOS6.replace("default=0", "default saved")}))  # type: ignore[misc]
    assert isinstance(saved.xen, Unknown) and "`default saved` (line 2)" in saved.xen.reason
    other = DictSource({"/boot/grub/grub.conf": CENTOS6, "/boot/grub/menu.lst": RHEL50})
    assert check(boot.collect(other), "dom0_mem", running="dom0_mem=1024M", part="xen")[1].startswith(
        "cannot check: correct now, but the next boot cannot be checked: the boot loader configurations disagree")


def test_grub2_and_a_leftover_legacy_menu_that_agree_both_count() -> None:
    grub = 'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1024M,max:1024M tmem"\n'
    boots = boot.collect(DictSource({"/etc/default/grub": grub, "/boot/grub/menu.lst": CENTOS6.replace("guest_loglvl=all\n", "guest_loglvl=all tmem\n")}))
    outcome, message = check(boots, "tmem", running="", part="xen")
    assert outcome == "failed" and message.startswith("configured but not active: reboot pending (run update-grub and reboot)")


def test_xen_replace_variables_give_xen_entries_their_own_linux_line() -> None:
    grub = 'GRUB_CMDLINE_LINUX="quiet"\nGRUB_CMDLINE_LINUX_XEN_REPLACE="console=hvc0"\n'
    boots = boot.collect(DictSource({"/etc/default/grub": grub}))
    assert [b.linux_from for b in boots] == [  # type: ignore[union-attr]
        "GRUB_CMDLINE_LINUX_XEN_REPLACE or GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub",
        "GRUB_CMDLINE_LINUX or GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub"]
    assert "disagree" in check(boots, "quiet", running="quiet")[1]


def test_nothing_to_read_is_said() -> None:
    found = boot.collect(DictSource({}))
    assert isinstance(found, Unknown) and found.reason.startswith("no boot loader configuration found: looked at /etc/default/grub")


def test_assignments_the_shell_may_skip_are_unknown_with_their_line() -> None:
    values = grub_default.evaluate([("/etc/default/grub.d/xen.cfg", a) for a in grub_default.parse(
        'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1G"\n'
        'if [ -e /etc/tmem ]; then\n  GRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT tmem"\nfi\n'
        '[ -e /x ] && { GRUB_CMDLINE_LINUX=quiet; }\n{ GRUB_TIMEOUT=3; }\n( GRUB_TIMEOUT=9 )\n')])
    xen = values["GRUB_CMDLINE_XEN_DEFAULT"]
    assert (xen.value, xen.where) == (None, "/etc/default/grub.d/xen.cfg:3")
    assert xen.reason == "assigned inside `if` ... `fi` (from line 2), which only running the shell decides"
    assert values["GRUB_CMDLINE_LINUX"].reason.startswith("assigned inside a { ... } group after `&&` (from line 5)")
    assert values["GRUB_TIMEOUT"].value == "3"  # a plain group runs; a subshell changes nothing


def test_sourcing_a_file_makes_everything_after_it_unknown() -> None:
    values = grub_default.evaluate([("/etc/default/grub", a) for a in grub_default.parse(
        'GRUB_CMDLINE_LINUX=quiet\n. /etc/default/local\nGRUB_TIMEOUT=5\n')])
    assert grub_default.lookup(values, "GRUB_CMDLINE_LINUX").reason == "`.` may change any variable"  # type: ignore[union-attr]
    assert grub_default.lookup(values, "GRUB_CMDLINE_XEN").where == "/etc/default/grub:2"  # type: ignore[union-attr]
    assert values["GRUB_TIMEOUT"].value == "5"


@pytest.mark.parametrize(("text", "line_no", "reason"), [
    ("GRUB_X=1\nfi\n", 2, "`fi` without its opener"),
    ("if true; then\n  GRUB_X=1\n", 1, "`if` ... `fi` is never closed"),
    ('GRUB_X="open\n', 1, "unterminated quote or substitution at the end of the file"),
    ("case $x in\n  a) GRUB_X=1\n", 1, "`case` ... `esac` is never closed"),
])
def test_shell_the_parser_cannot_follow_names_the_line(text: str, line_no: int, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        grub_default.parse(text)
    assert (info.value.line_no, info.value.reason) == (line_no, reason)


def test_grub2_menu_in_a_legacy_file_is_refused_with_its_line() -> None:
    with pytest.raises(ParseError) as info:
        grub_legacy.parse("set default=0\nmenuentry 'Debian' {\n")
    assert info.value.line_no == 1 and "GRUB 2 syntax" in info.value.reason


def test_legacy_default_past_the_last_entry_takes_the_fallback() -> None:
    text = "default 5\nfallback 1\ntitle empty\ntitle a\n kernel /vmlinuz-a ro\ntitle b\n kernel /vmlinuz-b ro single\n"
    choice = grub_legacy.next_boot(grub_legacy.parse(text))
    assert choice.entry is not None and choice.entry.title == "b"  # 'empty' has no command: no entry at all
    assert "past the last of 2 entries: GRUB takes the fallback, entry 1" in choice.how
    assert grub_legacy.command_lines(choice.entry).linux == "ro single"


def test_a_parameter_given_twice_counts_with_its_last_value() -> None:
    boots = (boot.NextBoot("GRUB legacy (x)", "", (CmdlineParam("a", "1"), CmdlineParam("a", "2")), "the kernel line", None, "no Xen"),)
    assert check(boots, "a", running="a=1 a=2", value="2")[0] == "passed"
    assert check(boots, "a", running="a=2", value="1") == ("failed", "missing: not on the running command line and not in "
                                                           "the kernel line: add a=1 there, and reboot")


def test_grub_d_dot_files_are_not_sourced() -> None:
    """update-grub sources /etc/default/grub.d/*.cfg: the glob skips an editor's .#xen.cfg or a saved .old.cfg."""
    files = {"/etc/default/grub": 'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=2048M"\n',
             "/etc/default/grub.d/.old.cfg": 'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M"\n'}
    values = boot._grub_values(DictSource(files))
    assert not isinstance(values, Unknown) and values is not None
    assert values["GRUB_CMDLINE_XEN_DEFAULT"].value == "dom0_mem=2048M"


def _final(text: str, name: str) -> tuple[str | None, str]:
    value = grub_default.evaluate([("/etc/default/grub", a) for a in grub_default.parse(text)])[name]
    return value.value, value.reason


@pytest.mark.parametrize(("text", "words"), [
    ('X="a"\nX="${X-} tmem"\n', "operator or a special parameter"),          # ${VAR-word}: not the literal text
    ('X="a"\nX="$1 tmem"\n', "special parameter"),
    ('X="a"\nX+=" tmem"\n', "appended with +="),                               # bash appends, dash refuses
    ('X="a"\n[ -e /etc/default/no-tmem ] && return\nX="a tmem"\n', "`return` at line 2"),
    ('X="a"\nexit 0\nX="b"\n', "`exit` at line 2"),
    ('X="a"\ncommand eval "X=b"\n', "`eval` may change any variable"),
    ('X="a"\nprintf -v X "%s" b\n', "set by `printf -v`"),
    ('X="a"\nmapfile X < /dev/null\n', "set by `mapfile`"),
    ('X="a"\nA=1 export X="a tmem"\n', ""),                                      # the export is read, not dropped
    ('X="a"\n: ${X=b}\n', "assigned by a ${NAME=word} expansion"),
    ('X="a"\nf() { return 0; }\nX="a tmem"\n', ""),                              # a return in a function ends only it
    ('Y="b"\nX="a tmem\\$Y"\nX="${X%\\$Y}"\n', "operator"),
])
def test_shell_forms_that_are_not_evaluated_make_the_value_unknown(text: str, words: str) -> None:
    """An escaped dollar stays text: "a tmem\\$Y" is the value a tmem$Y, not a tmem plus $Y."""
    value, reason = _final(text, "X")
    if words:
        assert value is None and words in reason, (value, reason)
    else:
        assert value == "a tmem"


def test_an_escaped_dollar_in_double_quotes_is_text() -> None:
    assert _final('Y="b"\nX="a \\$Y \\\\$Y"\n', "X") == ("a $Y \\b", "")
