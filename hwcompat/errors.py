"""Exception classes. Each keeps the offending values as attributes and formats them itself."""

from __future__ import annotations


class HwcompatError(Exception):
    """Base class of every error hwcompat raises on purpose."""


class ParseError(HwcompatError):
    """A parser met input it cannot read.

    :param parser: the parser's name (its module stem, e.g. ``proc_cpuinfo``)
    :param line_no: 1-based line number of the offending line (0 when not line-bound)
    :param line: the offending line itself
    :param reason: what was expected there
    """

    def __init__(self, parser: str, line_no: int, line: str, reason: str) -> None:
        super().__init__(parser, line_no, line, reason)
        self.parser = parser
        self.line_no = line_no
        self.line = line
        self.reason = reason
        self.origin = ""

    def __str__(self) -> str:
        where = f" in {self.origin}" if self.origin else ""
        return f"{self.parser}: line {self.line_no}{where}: {self.reason}: {self.line[:200]!r}"


class CannotCheck(HwcompatError):
    """A fact cannot be looked at: not recorded in the snapshot, needs root, tool missing.

    Raised by sources and by facts access; the item that needed the fact fails with
    "cannot check: <reason>". ``broken`` marks input hwcompat could not read (a parser met a line
    it does not understand): a hwcompat problem, so the run exits 3.
    """

    def __init__(self, reason: str, broken: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.broken = broken

    def __str__(self) -> str:
        return self.reason


class ProfileError(HwcompatError):
    """A profile file is malformed; formatted as ``FILE:LINE: key.path: message``."""

    def __init__(self, file: str, line: int, path: str, message: str) -> None:
        super().__init__(file, line, path, message)
        self.file = file
        self.line = line
        self.path = path
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"


class SnapshotError(HwcompatError):
    """A snapshot is malformed, truncated or hostile; names the snapshot and the entry."""

    def __init__(self, snapshot: str, message: str) -> None:
        super().__init__(snapshot, message)
        self.snapshot = snapshot
        self.message = message

    def __str__(self) -> str:
        return f"snapshot {self.snapshot}: {self.message}"
