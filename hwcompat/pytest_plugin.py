"""The pytest plugin: options, profile and source set-up, parametrization, reports.

``--profile P`` loads and resolves a profile (errors exit 4 naming FILE:LINE); ``--snapshot S``
checks a recorded machine instead of this one. Tests ask for ``<row>_expectation`` fixtures
(see hwcompat.plan.PLAN) and ``<domain>_facts``; a profile section with no entries gives one
skipped item saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hwcompat import testing
from hwcompat.errors import HwcompatError, ParseError, ProfileError, SnapshotError
from hwcompat.facts import FactCache, Unknown
from hwcompat.facts.registry import COLLECTORS
from hwcompat.plan import PLAN
from hwcompat.profile import loader
from hwcompat.profile.model import Profile
from hwcompat.routing import Query
from hwcompat.sources import open_source
from hwcompat.sources.base import FactSource


@dataclass
class RunState:
    """What one run checks: the profile, the source of facts and the fact cache."""

    profile: Profile
    source: FactSource
    facts: FactCache
    results: list[dict[str, Any]]


STATE = pytest.StashKey[RunState]()
ACCEPTANCE_DIRS = ("tests_hw", "tests_xen", "tests_net")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register --profile, --snapshot and --json."""
    group = parser.getgroup("hwcompat", "hardware compatibility checks")
    group.addoption("--profile", metavar="P", help="profile to check: a path or a name under profiles/ (hosts/x10sae-xen-dom0)")
    group.addoption("--snapshot", metavar="S", help="check a recorded snapshot (directory or .tar.gz) instead of this machine")
    group.addoption("--json", dest="hwcompat_json", metavar="F", help="also write results as JSON to F")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Load the profile and open the source; bad input is a usage error (exit 4)."""
    config.addinivalue_line("markers", f"{NO_ITEM.name}: placeholder for a row the profile does not ask for")
    json_out = config.getoption("hwcompat_json", None)
    if json_out and not Path(json_out).absolute().parent.is_dir():
        raise pytest.UsageError(f"--json {json_out}: directory {Path(json_out).absolute().parent} does not exist")
    ref = config.getoption("profile", None)
    if not ref:
        if any(set(Path(a.split("::", 1)[0]).resolve().parts) & set(ACCEPTANCE_DIRS) for a in config.args):
            _state(config)  # raises the usage error now, before collection turns it into five
        return
    try:
        profile = loader.load(ref)
        source = open_source(config.getoption("snapshot"))
    except (ProfileError, SnapshotError) as err:
        raise pytest.UsageError(str(err)) from None
    state = RunState(profile, source, FactCache(source, route_queries(profile)), [])
    config.stash[STATE] = state
    _fill_metadata(config, state)


def route_queries(profile: Profile) -> tuple[Query, ...]:
    """The packets the profile's ``network.paths`` ask about."""
    out = []
    for e in profile.network:
        if e.kind == "paths":
            iif = e.get("iif")
            out.append(Query(str(e.get("from")), str(e.get("to")), str(iif) if iif else None))
    return tuple(out)


def _fill_metadata(config: pytest.Config, state: RunState) -> None:
    try:
        from pytest_metadata.plugin import metadata_key  # noqa: PLC0415
    except ImportError:
        return
    if metadata_key not in config.stash:
        return
    meta = config.stash[metadata_key]
    source = state.source
    meta["Facts from"] = f"snapshot {source.location}" if source.kind == "snapshot" else "live machine"
    meta["Profile"] = state.profile.file
    meta["Profile chain"] = " -> ".join(state.profile.chain)
    for label, value in environment(state).items():
        meta[label] = value


def environment(state: RunState) -> dict[str, str]:
    """Host, board, CPU and kernel of the checked machine, as far as they can be read."""
    def text(value: object) -> str:
        if isinstance(value, Unknown):
            return "not recorded" if "not recorded" in value.reason else f"unknown ({value.reason})"
        return str(value)

    out: dict[str, str] = {}
    try:
        host = state.source.read_text("/proc/sys/kernel/hostname")
        out["Host"] = host.strip() if host else "unknown"
    except HwcompatError as err:
        out["Host"] = f"unknown ({err})"
    try:
        dmi = state.facts.get("dmi")
        cpu = state.facts.get("cpu")
        kernel = state.facts.get("kernel")
    except HwcompatError as err:
        out["Facts"] = f"could not be read: {err}"
        return out
    board = [dmi.get("board_vendor"), dmi.get("board_name")] if not isinstance(dmi, Unknown) else [dmi]
    out["Board"] = " ".join(text(b) for b in board) if not all(isinstance(b, Unknown) for b in board) else text(board[-1])
    out["CPU"] = text(cpu) if isinstance(cpu, Unknown) else f"{cpu.model_name} ({cpu.logical_cpus} logical CPUs)"
    out["Kernel"] = text(kernel) if isinstance(kernel, Unknown) else text(kernel.release)
    return out


def _state(config: pytest.Config) -> RunState:
    if STATE not in config.stash:
        raise pytest.UsageError(
            "hwcompat: no profile given. Run with --profile P (a path or a name under profiles/), "
            "e.g. --profile hosts/x10sae-xen-dom0 --snapshot snapshots/x10sae-xen-dom0"
        )
    return config.stash[STATE]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``<row>_expectation`` fixtures from the profile, ids from profile keys."""
    for name in metafunc.fixturenames:
        row = PLAN.get(name)
        if row is None:
            continue
        state = _state(metafunc.config)
        items = row.items(state.profile)
        if items:
            metafunc.parametrize(name, [pytest.param(exp, id=item_id) for item_id, exp in items])
        elif row.primary and row.section not in state.profile.sections:
            reason = f"profile {state.profile.name} declares no {row.section} section"
            metafunc.parametrize(name, [pytest.param(None, id="none", marks=pytest.mark.skip(reason=reason))])
        else:
            metafunc.parametrize(name, [pytest.param(None, id="none", marks=NO_ITEM)])


NO_ITEM = pytest.mark.hwcompat_no_item


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the placeholder items of rows the profile's sections do not ask for."""
    # Not reported as "deselected": these were never tests, only the price of parametrizing.
    items[:] = [i for i in items if i.get_closest_marker(NO_ITEM.name) is None]


def _facts(request: pytest.FixtureRequest, domain: str) -> Any:
    try:
        return _state(request.config).facts.get(domain)
    except (ParseError, SnapshotError) as err:
        problem = str(err)
    # An error outcome (hwcompat could not read its input), told without a stack.
    pytest.fail(f"hwcompat cannot read the {domain} facts: {problem}\n(a hwcompat problem: please report it with this input)", pytrace=False)


def _fact_fixture(domain: str) -> Any:
    def fixture(request: pytest.FixtureRequest) -> Any:
        return _facts(request, domain)

    fixture.__doc__ = f"The {domain} facts of the checked machine (or Unknown)."
    return pytest.fixture(scope="session", name=f"{domain}_facts")(fixture)


# One session fixture per facts domain (pci_facts, cpu_facts, ..., net_facts), and the kernel's
# answers to the profile's path questions (route_lookups).
for _domain in COLLECTORS:
    globals()[f"{_domain}_facts"] = _fact_fixture(_domain)
route_lookups = pytest.fixture(scope="session", name="route_lookups")(
    lambda request: _facts(request, "route_get"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Forget the previous test's results."""
    testing.CURRENT.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the CheckResult (JSON) to the report; record it for --json."""
    report = yield
    if STATE not in item.config.stash:
        return report
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        results = [r.to_json() for r in testing.CURRENT]
        report.hwcompat_results = results
        doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
        report.hwcompat_description = doc.strip().splitlines()[0] if doc.strip() else ""
        report.hwcompat_origin = ", ".join(r["origin"] for r in results if r["origin"])
        item.config.stash[STATE].results.append({
            "test": item.nodeid, "outcome": report.outcome, "description": report.hwcompat_description,
            "results": results, "message": str(report.longrepr) if report.failed else "",
        })
        if results:
            try:
                from pytest_html import extras  # noqa: PLC0415
            except ImportError:
                return report
            report.extras = [*getattr(report, "extras", []), extras.json(results, name="check result")]
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    """Add Description and Profile columns."""
    cells.insert(2, "<th>Description</th>")
    cells.insert(3, "<th>Profile</th>")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    """Fill Description (test docstring) and Profile (file:line of the expectation)."""
    from html import escape  # noqa: PLC0415

    cells.insert(2, f"<td>{escape(getattr(report, 'hwcompat_description', ''))}</td>")
    cells.insert(3, f"<td>{escape(getattr(report, 'hwcompat_origin', ''))}</td>")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    """Show a skip's reason as a sentence, not as pytest's (file, line, reason) tuple."""
    if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        from html import escape  # noqa: PLC0415

        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        data[:] = [escape(reason) + "\n"]


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    """Title the report after the profile."""
    state = report.config.stash.get(STATE, None) if hasattr(report, "config") else None
    report.title = f"hwcompat: {state.profile.name}" if state else "hwcompat report"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write --json results."""
    path = session.config.getoption("hwcompat_json", None)
    state = session.config.stash.get(STATE, None)
    if not path or state is None:
        return
    data = {
        "profile": state.profile.file, "chain": list(state.profile.chain),
        "source": state.source.location or "live", "exit_status": int(exitstatus), "items": state.results,
    }
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
