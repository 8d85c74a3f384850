"""Parser for a kernel or hypervisor command line.

Reads ``/proc/cmdline``, ``xen_commandline`` of ``xl info``, and the GRUB_CMDLINE_* values of
/etc/default/grub.

Input: words separated by blanks; a word is ``name`` or ``name=value``; double quotes group
blanks (``acpi_osi="Windows 2009"``)::

    BOOT_IMAGE=/boot/vmlinuz-3.13-1-amd64 root=UUID=1b2c ro quiet tmem

Records (:class:`CmdlineParam`, in order)::

    name: str
    value: str | None      # None for a bare word

Raises ParseError for an unterminated double quote.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "cmdline"


@dataclass(frozen=True, slots=True)
class CmdlineParam:
    """One command-line parameter."""

    name: str
    value: str | None


def parse(text: str) -> list[CmdlineParam]:
    """Split a command line into parameters."""
    words: list[str] = []
    buf: list[str] = []
    quoted = in_word = False
    for c in text.strip():
        if c == '"':
            quoted = not quoted
            in_word = True
        elif c.isspace() and not quoted:
            if in_word:
                words.append("".join(buf))
            buf, in_word = [], False
        else:
            buf.append(c)
            in_word = True
    if quoted:
        raise ParseError(NAME, 1, text.strip(), "unterminated double quote")
    if in_word:
        words.append("".join(buf))
    out = []
    for w in words:
        name, sep, value = w.partition("=")
        out.append(CmdlineParam(name, value if sep else None))
    return out
