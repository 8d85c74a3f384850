"""Recorded parser pairs: selftests/data/parsers/<parser>--<case>.txt (or .json.in) and <case>.json."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hwcompat.parsers.registry import PARSERS
from hwcompat.sources.base import UdevDevice

DATA = Path(__file__).parent / "data" / "parsers"


def inputs() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if p.name.endswith((".txt", ".json.in")))


def parser_of(path: Path) -> str:
    return path.name.split("--", 1)[0]


def expected_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".txt").removesuffix(".json.in") + ".json")


def run(path: Path) -> list[Any]:
    parse = PARSERS[parser_of(path)]
    if path.name.endswith(".json.in"):
        devices = [UdevDevice(d["sys_path"], d["driver"], tuple(tuple(a) for a in d["attributes"])) for d in json.loads(path.read_text())]
        records = [parse(d) for d in devices]
    else:
        records = parse(path.read_text())  # type: ignore[assignment]
    return json.loads(json.dumps([dataclasses.asdict(r) for r in records]))  # type: ignore[call-overload]
