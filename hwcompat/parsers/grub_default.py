"""Parser for ``/etc/default/grub`` and ``/etc/default/grub.d/*.cfg`` (shell variable files).

update-grub sources these files with /bin/sh. This parser reads the assignments the way the
shell would, as far as that is static: ``'single'`` quotes are literal, ``"double"`` quotes and
bare words expand ``$VAR`` / ``${VAR}`` and backslash escapes, ``export`` is allowed, quotes may
span lines. What cannot be known without running the shell (``$(...)``, backquotes, ``${VAR:-x}``,
assignments inside ``if``/functions/``&&`` lines) is marked unknown, with the line::

    GRUB_DEFAULT=0
    GRUB_CMDLINE_LINUX_DEFAULT="quiet"
    GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=10240M,max:10240M"
    GRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT tmem"   # appends

Records (:class:`GrubAssignment`, in file order)::

    name: str
    parts: tuple[tuple[str, str], ...]   # ("lit", text) | ("var", NAME) | ("unknown", why)
    line_no: int

:func:`evaluate` folds assignments (of several files, in order) into final values.
Raises ParseError for an unterminated quote at the end of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "grub_default"
_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_NAME_IN = re.compile(r"\b(GRUB_[A-Z0-9_]+)\b")


@dataclass(frozen=True, slots=True)
class GrubAssignment:
    """One ``NAME=value`` statement, or a statement that sets NAME in a way not evaluated."""

    name: str
    parts: tuple[tuple[str, str], ...]
    line_no: int


@dataclass(frozen=True, slots=True)
class GrubValue:
    """A variable's final value (None when it cannot be known, and why), and where it was set."""

    value: str | None
    where: str
    reason: str = ""


def _expand(text: str, parts: list[tuple[str, str]]) -> None:
    pos = 0
    for m in _VAR.finditer(text):
        if m.start() > pos:
            parts.append(("lit", text[pos:m.start()]))
        parts.append(("var", m.group(1) or m.group(2)))
        pos = m.end()
    if pos < len(text):
        parts.append(("lit", text[pos:]))


def _value(rhs: str, line_no: int, line: str) -> tuple[list[tuple[str, str]], str]:
    """Parse the right-hand side; return parts and the rest of the text after the word."""
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(rhs) and not rhs[i].isspace() and rhs[i] not in ";&|":
        c = rhs[i]
        if c == "'":
            end = rhs.find("'", i + 1)
            if end < 0:
                raise ParseError(NAME, line_no, line, "unterminated single quote")
            parts.append(("lit", rhs[i + 1:end]))
            i = end + 1
        elif c == '"':
            j, buf = i + 1, []
            while j < len(rhs) and rhs[j] != '"':
                if rhs[j] == "\\" and j + 1 < len(rhs) and rhs[j + 1] in '"\\$`\n':
                    if rhs[j + 1] != "\n":  # backslash-newline is a line continuation: both go
                        buf.append(rhs[j + 1])
                    j += 2
                    continue
                buf.append(rhs[j])
                j += 1
            if j >= len(rhs):
                raise ParseError(NAME, line_no, line, "unterminated double quote")
            _segment("".join(buf), parts)
            i = j + 1
        else:
            j = i
            while j < len(rhs) and not rhs[j].isspace() and rhs[j] not in "'\";&|":
                j += 1
            _segment(rhs[i:j], parts)
            i = j
    return parts, rhs[i:]


def _segment(text: str, parts: list[tuple[str, str]]) -> None:
    if "$(" in text or "`" in text:
        parts.append(("unknown", "uses command substitution"))
    elif re.search(r"\$\{[A-Za-z_][A-Za-z0-9_]*[:#%/]", text):
        parts.append(("unknown", "uses a ${VAR...} operator"))
    else:
        _expand(text, parts)


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Join lines inside open quotes and after a trailing backslash."""
    buf, start = "", 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not buf:
            start = line_no
        buf = buf + "\n" + line if buf else line
        quotes = _open_quote(buf)
        if buf.endswith("\\") and not quotes:
            buf = buf[:-1]
            continue
        if quotes:
            continue
        yield start, buf
        buf = ""
    if buf:
        raise ParseError(NAME, start, buf.splitlines()[0], "unterminated quote at the end of the file")


def _open_quote(text: str) -> str:
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote == "'":
            quote = "" if c == "'" else quote
        elif quote == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                quote = ""
        elif c == "#" and (i == 0 or text[i - 1].isspace()):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif c in "'\"":
            quote = c
        elif c == "\\":
            i += 1
        i += 1
    return quote


def parse(text: str) -> list[GrubAssignment]:
    """Parse one grub defaults file into assignments, in order."""
    records = []
    for line_no, line in _logical_lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ASSIGN.match(line)
        if m and ("`" in line or "$(" in line):
            records.append(GrubAssignment(m.group(1), (("unknown", "uses command substitution"),), line_no))
        elif m:
            parts, rest = _value(line[m.end():], line_no, line)
            rest = rest.strip()
            if rest and not rest.startswith("#"):
                parts = [("unknown", "the line does more than assign")]
            records.append(GrubAssignment(m.group(1), tuple(parts), line_no))
        else:
            for name in dict.fromkeys(_NAME_IN.findall(line)):
                # e.g. `[ -e x ] && GRUB_CMDLINE_LINUX="..."`: it may or may not run
                records.append(GrubAssignment(name, (("unknown", "set by a statement hwcompat does not evaluate"),), line_no))
    return records


def evaluate(assignments: Iterable[tuple[str, GrubAssignment]]) -> dict[str, GrubValue]:
    """Fold (file, assignment) pairs in order into final values; unset GRUB_* variables are ''."""
    values: dict[str, GrubValue] = {}
    for file, a in assignments:
        out, reason = [], ""
        for kind, text in a.parts:
            if kind == "lit":
                out.append(text)
            elif kind == "var":
                known = values.get(text)
                if known is None and text.startswith("GRUB_"):
                    continue
                if known is None or known.value is None:
                    reason = known.reason if known is not None else f"uses ${text}, which these files do not set"
                    break
                out.append(known.value)
            else:
                reason = text
                break
        values[a.name] = GrubValue(None if reason else "".join(out), f"{file}:{a.line_no}", reason)
    return values
