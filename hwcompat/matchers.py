"""Matchers: how an expected value in a profile is compared with a fact.

A profile writes a plain value (equality), or a mapping with exactly one matcher form:
``{any_of: [...]}``, ``{min: N, max: N}`` (either or both), ``{version: ">=4.3,<4.13"}``,
``{contains: "text"}``, ``{absent: true}``. ``null`` as a value means "none" (no driver bound).
Every matcher remembers the profile file:line it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Scalar = str | int | float | bool | None
Formatter = Callable[[Scalar], str]

MATCHER_KEYS = frozenset({"any_of", "min", "max", "version", "contains", "absent"})

_VERSION_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*$")
_LEADING_VERSION = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an expectation was written: a profile file (as given) and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def show(value: Scalar) -> str:
    """Render a value for a person: ``none`` for None, quotes around strings."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def version_tuple(text: str) -> tuple[int, ...] | None:
    """Leading dotted number of a version string: ``"3.13-1-amd64"`` -> ``(3, 13)``; None if none."""
    m = _LEADING_VERSION.match(text)
    return tuple(int(p) for p in m.group(1).split(".")) if m else None


def parse_version_spec(spec: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Parse ``">=4.3,<4.13"`` into clauses; raises ValueError naming the bad clause."""
    clauses = []
    for part in spec.split(","):
        m = _VERSION_CLAUSE.match(part)
        if not m:
            raise ValueError(f"version clause {part.strip()!r} is not OP N[.N...] (OP one of >= <= > < == !=)")
        clauses.append((m.group(1), tuple(int(p) for p in m.group(2).split("."))))
    return tuple(clauses)


def _cmp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    width = max(len(a), len(b))
    pa, pb = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (pa > pb) - (pa < pb)


_OPS: dict[str, Callable[[int], bool]] = {
    ">=": lambda c: c >= 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    "<": lambda c: c < 0,
    "==": lambda c: c == 0,
    "!=": lambda c: c != 0,
}


@dataclass(frozen=True, slots=True)
class Matcher:
    """Base of all matchers. ``matches(value)`` decides, ``describe()`` says what is expected."""

    origin: Origin

    def matches(self, value: Scalar) -> bool:
        """True when ``value`` satisfies this matcher."""
        raise NotImplementedError

    def describe(self, fmt: Formatter = show) -> str:
        """The expectation in words, e.g. ``one of 'mpt2sas', 'mpt3sas'``."""
        raise NotImplementedError

    def to_data(self) -> object:
        """The YAML form this matcher was (or would be) written as."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Equal(Matcher):
    """The fact equals the value (strings compare exactly, after the fact's own stripping)."""

    value: Scalar

    def matches(self, value: Scalar) -> bool:
        if isinstance(value, bool) or isinstance(self.value, bool):
            return value is self.value
        return value == self.value

    def describe(self, fmt: Formatter = show) -> str:
        return fmt(self.value)

    def to_data(self) -> object:
        return self.value


@dataclass(frozen=True, slots=True)
class AnyOf(Matcher):
    """The fact equals one of the values (``null`` among them allows "none")."""

    values: tuple[Scalar, ...]

    def matches(self, value: Scalar) -> bool:
        return any(Equal(self.origin, v).matches(value) for v in self.values)

    def describe(self, fmt: Formatter = show) -> str:
        return "one of " + ", ".join(fmt(v) for v in self.values)

    def to_data(self) -> object:
        return {"any_of": list(self.values)}


@dataclass(frozen=True, slots=True)
class Range(Matcher):
    """A number within ``min``..``max`` (both inclusive, either may be omitted)."""

    min: int | float | None
    max: int | float | None

    def matches(self, value: Scalar) -> bool:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self, fmt: Formatter = show) -> str:
        if self.min is not None and self.max is not None:
            return f"between {fmt(self.min)} and {fmt(self.max)}"
        if self.min is not None:
            return f"at least {fmt(self.min)}"
        return f"at most {fmt(self.max)}"

    def to_data(self) -> object:
        data: dict[str, object] = {}
        if self.min is not None:
            data["min"] = self.min
        if self.max is not None:
            data["max"] = self.max
        return data


@dataclass(frozen=True, slots=True)
class VersionRange(Matcher):
    """A version string whose leading dotted number satisfies every clause of ``spec``."""

    spec: str

    def matches(self, value: Scalar) -> bool:
        if not isinstance(value, str):
            return False
        have = version_tuple(value)
        if have is None:
            return False
        return all(_OPS[op](_cmp(have, want)) for op, want in parse_version_spec(self.spec))

    def describe(self, fmt: Formatter = show) -> str:
        return f"version {self.spec}"

    def to_data(self) -> object:
        return {"version": self.spec}


@dataclass(frozen=True, slots=True)
class Contains(Matcher):
    """A string that contains the given text."""

    text: str

    def matches(self, value: Scalar) -> bool:
        return isinstance(value, str) and self.text in value

    def describe(self, fmt: Formatter = show) -> str:
        return f"containing {self.text!r}"

    def to_data(self) -> object:
        return {"contains": self.text}


@dataclass(frozen=True, slots=True)
class Absent(Matcher):
    """No value at all (no driver bound, field not reported)."""

    def matches(self, value: Scalar) -> bool:
        return value is None

    def describe(self, fmt: Formatter = show) -> str:
        return "none"

    def to_data(self) -> object:
        return {"absent": True}


def from_data(data: object, origin: Origin) -> Matcher:
    """Build a matcher from its (already schema-validated) YAML form.

    :raises ValueError: on a malformed version spec or an empty/contradictory form
    """
    if not isinstance(data, dict):
        return Equal(origin, data)  # type: ignore[arg-type]
    if "any_of" in data:
        values: Sequence[Scalar] = data["any_of"]
        return AnyOf(origin, tuple(values))
    if "version" in data:
        parse_version_spec(data["version"])
        return VersionRange(origin, data["version"])
    if "contains" in data:
        return Contains(origin, data["contains"])
    if "absent" in data:
        if data["absent"] is not True:
            raise ValueError("absent takes only true")
        return Absent(origin)
    lo, hi = data.get("min"), data.get("max")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"min {lo} is greater than max {hi}")
    return Range(origin, lo, hi)
