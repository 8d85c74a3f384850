"""Facts: typed, frozen records of what a machine has, one module per domain.

``collect(source)`` in each module reads through a FactSource only, and parses everything it
reads right there: checks never parse. A part that could not be looked at, or whose input no
parser could read, is stored as :class:`Unknown` with the reason; :func:`known` turns it into
:class:`~hwcompat.errors.CannotCheck` when a check needs it, which the plan turns into one
failing "cannot check" item. :mod:`hwcompat.facts.cache` collects each domain once per run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from hwcompat.errors import CannotCheck, ParseError
from hwcompat.sources.base import FactSource

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class Unknown:
    """A fact that could not be looked at, and why. ``broken``: its input could not be parsed; ``missing``: the file does not exist."""

    reason: str
    broken: bool = False
    missing: bool = False


def known(value: T | Unknown) -> T:
    """The value itself; raises CannotCheck (with the reason) when it is Unknown."""
    if isinstance(value, Unknown):
        raise CannotCheck(value.reason, value.broken)
    return value


#: files the kernel writes: their text always ends with a newline
KERNEL_TEXT = ("/proc/", "/sys/", "/boot/config-")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])


def _controls(text: str) -> int:
    """How many control characters (not tab, newline, CR, FF, VT) and U+FFFD (undecodable bytes) text holds.

    Counted on the UTF-8 bytes, where each of those control characters is one byte that no
    multi-byte sequence contains: bytes.translate runs in C at memory speed (a full routing table
    is 100 MB; a regular expression took 0.3 s).
    """
    raw = text.encode("utf-8", "surrogatepass")
    return len(raw) - len(raw.translate(None, _CONTROL_BYTES)) + text.count("\ufffd")


def broken_text(text: str, whole_lines: bool = False) -> str:
    """Why this text cannot be what a real machine produced ('' when it can be).

    Binary where text is expected (a NUL, or more than 1% control or undecodable characters), or,
    for text that always ends with a newline (what the kernel writes, what the tools print), text
    that ends in the middle of a line.
    """
    if "\x00" in text or _controls(text) * 100 > len(text):
        return "it holds binary data where text is expected"
    if whole_lines and text and not text.endswith("\n"):
        return "it ends in the middle of a line (cut short?)"
    return ""


def read(source: FactSource, path: str) -> str | Unknown:
    """A file's text, or Unknown saying it is missing, unreadable, or looks broken."""
    try:
        text = source.read_text(path)
    except CannotCheck as err:
        return Unknown(err.reason)
    if text is None:
        return Unknown(f"{path} does not exist", missing=True)
    problem = broken_text(text, path.startswith(KERNEL_TEXT))
    return Unknown(f"{path} looks broken: {problem}") if problem else text


_NEEDS_ROOT = re.compile(r"permission denied|operation not permitted|must be (run as )?root|cannot init xl context", re.I)


def run_command(source: FactSource, argv: list[str] | tuple[str, ...]) -> str | Unknown:
    """A command's stdout, or Unknown saying why not: not recorded, not installed, failed (needs root?)."""
    try:
        out = source.run(argv)
    except CannotCheck as err:
        return Unknown(err.reason)
    cmd = " ".join(argv)
    if out.exit == 127:
        return Unknown(f"{argv[0]} is not installed")
    if out.exit != 0:
        first = out.stderr.strip().splitlines()[0] if out.stderr.strip() else "no message"
        hint = " (needs root)" if _NEEDS_ROOT.search(out.stderr) else ""
        return Unknown(f"`{cmd}` failed with exit {out.exit}{hint}: {first}")
    if out.stdout is None:
        return Unknown(f"`{cmd}` succeeded but its output was not recorded")
    problem = broken_text(out.stdout, whole_lines=True)
    return Unknown(f"the output of `{cmd}` looks broken: {problem}") if problem else out.stdout


def parsed(parse: Callable[[str], T], text: str | Unknown, origin: str) -> T | Unknown:
    """Parse ``text`` (passing an Unknown through); input the parser cannot read becomes a broken Unknown.

    The reason names the input (``origin``: a path or a command), the line and what was wrong.
    """
    if isinstance(text, Unknown):
        return text
    try:
        return parse(text)
    except ParseError as err:
        return Unknown(broken_input(err, origin), broken=True)


def then(value: T | Unknown, make: Callable[[T], U]) -> U | Unknown:
    """``make(value)``, passing an Unknown through unchanged."""
    return value if isinstance(value, Unknown) else make(value)


def broken_input(err: ParseError, origin: str) -> str:
    """The sentence for input a parser could not read: source, line, reason and the line's text."""
    where = f"{origin} line {err.line_no}" if err.line_no else origin
    return f"{where}: {err.reason}: {err.line[:200]!r} (hwcompat cannot read this input: please report it)"
