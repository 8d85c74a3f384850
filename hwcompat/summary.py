"""What a run found, for a person: the verdict, the checked machine, one line per area, the items.

Every report reads the same :class:`Summary`: the terminal's closing block, the HTML page and the
JSON file. :class:`Collector` (registered for every acceptance run) keeps one :class:`ItemRecord`
per test item as its outcome is known.

An item's ``status`` is what a person needs to tell apart, where pytest's outcome is not enough:

- ``passed``, ``failed``: the machine agrees with the profile, or contradicts it;
- ``cannot_check``: a fact the item needs could not be looked at (failed for pytest, but no verdict
  on the machine);
- ``waived``: failed, with a waiver in force (pytest xfail);
- ``skipped``: does not apply here, with the reason (an optional device that is absent, a flag the
  hypervisor hides, devices reported but not judged);
- ``not_in_profile``: the stand-in item of a section the profile does not declare.

The verdict is never COMPATIBLE while something could not be looked at: NOT COMPATIBLE when some
item failed, else INCOMPLETE when some could not be checked, else COMPATIBLE; waived items are
counted apart and do not decide it.
"""

from __future__ import annotations

import datetime
import platform
import sys
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pytest

from hwcompat import __version__, acceptance
from hwcompat.errors import CannotCheck, HwcompatError
from hwcompat.plan import AREAS, BY_NAME, KINDS
from hwcompat.plan import items as plan_items
from hwcompat.profile.model import Expectation, Profile
from hwcompat.results import CheckResult

if TYPE_CHECKING:
    from hwcompat.pytest_plugin import RunState

Status = Literal["passed", "failed", "cannot_check", "waived", "skipped", "not_in_profile"]
STATUSES: tuple[Status, ...] = ("failed", "cannot_check", "waived", "passed", "skipped", "not_in_profile")
STATUS_WORDS: dict[Status, str] = {"passed": "passed", "failed": "failed", "cannot_check": "could not check", "waived": "waived",
                                   "skipped": "skipped", "not_in_profile": "not in profile"}

AREA_OF: dict[str, str] = {section: key for key, _, sections in AREAS for section in sections}
NO_SECTION_ID = "no-"  # the id prefix of a section's stand-in item (pytest_plugin.pytest_generate_tests)


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One test item as the reports show it."""

    id: str
    nodeid: str
    kind: str
    section: str
    area: str
    status: Status
    outcome: str
    result: CheckResult | None
    text: str
    expectation: Expectation | None = None

    @property
    def subject(self) -> str:
        """What was checked (``pci 8086:153a@00:19.0 (Intel I217-LM Ethernet)``), or the item id."""
        return self.result.subject if self.result is not None and self.result.subject else self.id

    @property
    def message(self) -> str:
        """The sentence a person reads: the result's, or the skip reason."""
        return self.result.message if self.result is not None else self.text


def status_of(outcome: str, result: CheckResult | None, item_id: str) -> Status:
    """An item's status from pytest's outcome and its result."""
    if outcome == "waived":
        return "waived"
    if outcome == "skipped":
        return "not_in_profile" if result is None and item_id.split("[", 1)[-1].startswith(NO_SECTION_ID) else "skipped"
    if outcome == "passed":
        return "passed"
    if result is not None and (result.unchecked or (result.parts and all(p.unchecked for p in result.parts if p.outcome == "failed")
                                                    and any(p.outcome == "failed" for p in result.parts) and not _own_failure(result))):
        return "cannot_check"
    return "failed"


def _own_failure(result: CheckResult) -> bool:
    # a device item fails on its own when it is missing or miscounted; then its parts are not judged
    return not result.message.startswith("present")


class Collector:
    """Keeps each item's record as its outcome becomes known (after the call, or a skip or error at setup)."""

    def __init__(self) -> None:
        self.items: list[ItemRecord] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Record the item once its outcome is final."""
        report = yield
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            result = item.stash.get(acceptance.RESULT, None)
            name = getattr(item, "originalname", item.name)
            kind = BY_NAME.get(name)
            section = kind.section if kind else ""
            item_id = item.nodeid.split("::")[-1]
            outcome = "waived" if hasattr(report, "wasxfail") else report.outcome
            text = result.text() if result is not None else (skip_reason(report) if report.skipped else str(report.longrepr or ""))
            binding = item.stash.get(acceptance.BINDING, None)
            self.items.append(ItemRecord(item_id, item.nodeid, name, section, AREA_OF.get(section, "other"),
                                         status_of(outcome, result, item_id), outcome, result, text, binding[1] if binding else None))
        return report


def records(profile: Profile, results: list[tuple[str, CheckResult]]) -> list[ItemRecord]:
    """Item records from :func:`hwcompat.plan.evaluate` (a run without pytest: the fleet), stand-ins included.

    A section the profile does not declare gets the stand-in record a pytest run has.
    """
    by_id = dict(results)
    out = []
    for kind, exp in plan_items(profile):
        item_id = kind.item_id(exp)
        result = by_id[item_id]
        outcome = result.outcome
        out.append(ItemRecord(item_id, item_id, kind.name, kind.section, AREA_OF.get(kind.section, "other"), status_of(outcome, result, item_id),
                              outcome, result, result.text(), exp))
    for kind in KINDS:
        if kind.primary and kind.section not in profile.sections:
            item_id = f"{kind.name}[{NO_SECTION_ID}{kind.section}]"
            out.append(ItemRecord(item_id, item_id, kind.name, kind.section, AREA_OF.get(kind.section, "other"), "not_in_profile", "skipped", None,
                                  f"profile {profile.name} declares no {kind.section} section"))
    return out


def skip_reason(report: pytest.TestReport) -> str:
    """A skip's reason as a sentence, not pytest's (file, line, reason) tuple."""
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr or "")


@dataclass(frozen=True, slots=True)
class Area:
    """One area's line: its counts by status; ``declared`` False when the profile has none of its sections."""

    key: str
    label: str
    declared: bool
    counts: dict[str, int]
    missing: tuple[str, ...] = ()

    def words(self) -> str:
        """``19 passed, 1 failed`` (statuses with items, worst first), or ``not in profile``."""
        if not self.declared:
            return "not in profile"
        said = ", ".join(f"{n} {STATUS_WORDS[s]}" for s in STATUSES if s != "not_in_profile" and (n := self.counts.get(s, 0)))
        return (said or "no items") + (f" ({', '.join(self.missing)}: not in profile)" if self.missing else "")


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    """The profile a run checked: its file, the chain it extends, its parameters, and how it was chosen."""

    name: str
    file: str
    chain: list[str]
    params: list[dict[str, object]]
    selection: list[str]


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything the reports show, in one place.

    ``fit`` is the line under the verdict when the profile's match does not hold here (``WARNING: ...``)
    or cannot be told (``note: ...``); ``fits`` is True, False or None (no match, or cannot be told).
    """

    verdict: str
    verdict_text: str
    fit: str
    fits: bool | None
    counts: dict[str, int]
    areas: tuple[Area, ...]
    items: tuple[ItemRecord, ...]
    machine: dict[str, str]
    profile: ProfileInfo
    runner: dict[str, str] = field(default_factory=dict)

    def failing(self) -> list[ItemRecord]:
        """Items that failed or could not be checked, failures first."""
        return [i for s in ("failed", "cannot_check") for i in self.items if i.status == s]


def verdict(counts: dict[str, int]) -> tuple[str, str]:
    """``("not_compatible", "NOT COMPATIBLE (1 item)")`` and so on; never compatible while something could not be checked."""
    failed, unchecked, waived = counts.get("failed", 0), counts.get("cannot_check", 0), counts.get("waived", 0)
    apart = f"; {waived} waived" if waived else ""
    if failed:
        more = f", {unchecked} could not be checked" if unchecked else ""
        return "not_compatible", f"NOT COMPATIBLE ({_n(failed)} failed{more}{apart})"
    if unchecked:
        return "incomplete", f"INCOMPLETE ({_n(unchecked)} could not be checked{apart})"
    if not counts.get("passed", 0):
        return "incomplete", f"INCOMPLETE (nothing was checked{apart})"
    return "compatible", f"COMPATIBLE ({counts['passed']} passed{apart})"


def _n(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def build(run: RunState, items: list[ItemRecord]) -> Summary:
    """The run's summary from its items."""
    counts: dict[str, int] = {s: sum(1 for i in items if i.status == s) for s in STATUSES}
    areas = []
    for key, label, _ in AREAS:
        mine = [i for i in items if i.area == key]
        absent = tuple(sorted({i.section for i in mine if i.status == "not_in_profile"}))
        declared = any(i.status != "not_in_profile" for i in mine)
        area_counts: dict[str, int] = {s: sum(1 for i in mine if i.status == s) for s in STATUSES}
        areas.append(Area(key, label, declared, area_counts, absent if declared else ()))
    word, text = verdict(counts)
    fit = {False: f"WARNING: {run.fit}", None: f"note: {run.fit}" if run.fit else ""}.get(run.fits, "")
    profile = ProfileInfo(run.profile.name, run.profile.file, list(run.profile.chain),
                          [{"name": p.name, "value": p.value, "where": p.where} for p in run.profile.params], list(run.header))
    return Summary(word, text, fit, run.fits, counts, tuple(areas), tuple(items), machine(run), profile, runner())


def machine(run: RunState) -> dict[str, str]:
    """The checked machine: host, board, CPU, kernel, Xen, when and how it was recorded.

    Reads only files (never runs a command the profile did not need): Xen is told from facts the
    run already collected, else from /sys/hypervisor/type.
    """
    facts, source = run.facts, run.source
    out: dict[str, str] = {}
    try:
        host = source.read_text("/proc/sys/kernel/hostname")
        out["host"] = host.strip() if host else "unknown"
    except HwcompatError as err:
        out["host"] = _unknown(str(err))
    try:
        board = [facts.dmi.get("board_vendor"), facts.dmi.get("board_name")]
        named = " ".join(b for b in board if isinstance(b, str))
        out["board"] = named or _unknown(getattr(board[-1], "reason", "no DMI"))
    except CannotCheck as err:
        out["board"] = _unknown(err.reason)
    try:
        out["cpu"] = f"{facts.cpu.model_name or 'model not named'} ({facts.cpu.logical_cpus} logical CPUs)"
    except CannotCheck as err:
        out["cpu"] = _unknown(err.reason)
    try:
        release = facts.kernel.release
        out["kernel"] = f"Linux {release}" if isinstance(release, str) else _unknown(release.reason)
    except CannotCheck as err:
        out["kernel"] = _unknown(err.reason)
    out["xen"] = _xen(run)
    if source.kind == "snapshot":
        manifest = getattr(source, "manifest", {})
        out["recorded"] = str(manifest.get("captured_at") or "not said")
        out["facts_from"] = f"snapshot {source.location}"
        out["recorded_by"] = str(manifest.get("captured_by") or "not said")
    else:
        out["recorded"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + " (now)"
        out["facts_from"] = "this machine (live)"
    return out


def _xen(run: RunState) -> str:
    if "xen" in run.facts.collected():
        xen = run.facts.xen
        if xen.role == "none":
            return "not running under Xen"
        version = xen.version if isinstance(xen.version, str) else "version unknown"
        return f"Xen {version} ({xen.role})" if isinstance(xen.role, str) else f"Xen {version} (role unknown: {xen.role.reason})"
    try:
        kind = run.source.read_text("/sys/hypervisor/type")
    except HwcompatError:
        return "not examined (the profile checks no Xen)"
    if kind is None:
        return "not under a hypervisor that says so (/sys/hypervisor/type absent); not examined further"
    return f"{kind.strip()} (from /sys/hypervisor/type; the profile checks no Xen)"


def runner() -> dict[str, str]:
    """The machine that ran the check (not the one checked)."""
    return {"host": platform.node(), "platform": platform.platform(), "python": sys.version.split()[0], "pytest": pytest.__version__,
            "hwcompat": __version__}


def _unknown(reason: str) -> str:
    return "not recorded" if "not recorded" in reason else f"unknown ({reason})"


def value_text(value: object) -> str:
    """A found or expected JSON value in words, without Python's quotes."""
    if value is None:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {value_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    return str(value)


