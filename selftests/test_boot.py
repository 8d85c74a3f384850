"""GRUB 2 defaults read as the shell would, and "cannot be known" where only the shell can tell."""

from __future__ import annotations

import pytest

from hwcompat.errors import ParseError
from hwcompat.parsers import grub_default


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
