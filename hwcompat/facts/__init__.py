"""Facts: typed, frozen records of what a machine has, one module per domain.

``collect(source)`` in each module reads through a FactSource only. ``FactCache`` collects each
domain once per run; a domain that cannot be looked at becomes :class:`Unknown` (with the
reason), which checks turn into "cannot check" failures, never passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hwcompat.errors import FactUnavailable, ParseError
from hwcompat.sources.base import FactSource


@dataclass(frozen=True, slots=True)
class Unknown:
    """A fact that could not be looked at, and why."""

    reason: str


def unknown_part(facts: object, *parts: str) -> Unknown | None:
    """The first thing that could not be looked at: the domain itself, or one of its named parts."""
    if isinstance(facts, Unknown):
        return facts
    for name in parts:
        value = getattr(facts, name)
        if isinstance(value, Unknown):
            return value
    return None


def read(source: FactSource, path: str) -> str | Unknown:
    """A file's text, or Unknown saying it is missing or unreadable."""
    try:
        text = source.read_text(path)
    except FactUnavailable as err:
        return Unknown(err.reason)
    return Unknown(f"{path} does not exist") if text is None else text


_NEEDS_ROOT = re.compile(r"permission denied|operation not permitted|must be (run as )?root|cannot init xl context", re.I)


def run_command(source: FactSource, argv: list[str]) -> str | Unknown:
    """A command's stdout, or Unknown saying why not: not recorded, not installed, failed (needs root?)."""
    try:
        out = source.run(argv)
    except FactUnavailable as err:
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
    return out.stdout


def parse_with_origin(parse: Callable[[str], Any], text: str, origin: str) -> Any:
    """Run a parser, naming the file it read in any ParseError."""
    try:
        return parse(text)
    except ParseError as err:
        err.origin = origin
        raise


class FactCache:
    """Collects each domain once per run. ParseErrors propagate (they are hwcompat bugs or odd input)."""

    def __init__(self, source: FactSource, route_queries: tuple[Any, ...] = ()) -> None:
        # imported here: the collectors import this module
        from hwcompat.facts.net import route_get  # noqa: PLC0415
        from hwcompat.facts.registry import COLLECTORS  # noqa: PLC0415

        self.source = source
        self._facts: dict[str, object] = {}
        # route_get answers this run's own questions (the profile's network paths)
        self._collectors: dict[str, Callable[[FactSource], object]] = {
            **COLLECTORS, "route_get": lambda src: route_get(src, route_queries)}

    def get(self, domain: str) -> Any:  # Any: each domain has its own facts type
        """The facts of one domain (``pci``, ``cpu``, ...), or Unknown."""
        if domain not in self._facts:
            try:
                self._facts[domain] = self._collectors[domain](self.source)
            except FactUnavailable as err:
                self._facts[domain] = Unknown(err.reason)
        return self._facts[domain]
