"""The pytest plugin: options, the profile and the machine, one test item per expectation.

``--profile P`` loads and resolves a profile (errors exit 4 naming FILE:LINE); ``--snapshot S``
checks a recorded machine instead of this one. An acceptance test named like an item kind
(``test_pci_device``, see :data:`hwcompat.plan.KINDS`) gets one item per expectation of that
kind through the ``expectation`` fixture, and reads facts through the ``facts`` fixture. Facts
that cannot be looked at make the item fail with "cannot check: ..."; input hwcompat cannot read
makes the run exit 3 once every item is judged. The reports live in :mod:`hwcompat.report`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hwcompat import acceptance
from hwcompat.errors import CannotCheck, ProfileError, SnapshotError
from hwcompat.facts.cache import FactCache
from hwcompat.plan import BY_NAME, ItemKind
from hwcompat.profile import loader, params
from hwcompat.profile.model import Expectation, Profile
from hwcompat.results import cannot_check
from hwcompat.sources import open_source
from hwcompat.sources.base import FactSource
from hwcompat.waivers import Waivers

if TYPE_CHECKING:
    from hwcompat.routing import Query

ACCEPTANCE_DIRS = ("tests_hw", "tests_xen", "tests_net")
EXIT_BROKEN_INPUT = 3


@dataclass
class RunState:
    """What one run checks: the profile, the source of facts, the fact cache, and input that could not be read."""

    profile: Profile
    source: FactSource
    facts: FactCache
    broken: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    fit: str = ""
    fits: bool | None = None


STATE = pytest.StashKey[RunState]()


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Register --profile, --snapshot and --json."""
    pluginmanager.register(ReportPaths(), "hwcompat-report-paths")
    group = parser.getgroup("hwcompat", "hardware compatibility checks")
    group.addoption("--profile", metavar="P", help="profile to check: a path or a name under profiles/ (hosts/x10sae-xen-dom0)")
    group.addoption("--snapshot", metavar="S", help="check a recorded snapshot (directory or .tar.gz) instead of this machine")
    group.addoption("--json", dest="hwcompat_json", metavar="F", help="also write results as JSON to F")
    group.addoption("--waivers", dest="hwcompat_waivers", metavar="FILE", help="known exceptions: waivers: {ITEM: {reason, ticket, expires}}")
    group.addoption("--param", dest="hwcompat_params", action="append", default=[], metavar="NAME=VALUE",
                    help="set a profile parameter (repeatable); wins over every profile's params")


class ReportPaths:
    """Refuses report paths in folders that do not exist, before anyone creates them (pytest-html would)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        """Usage error (exit 4) naming the missing folder; nothing is written."""
        for option in ("hwcompat_json", "htmlpath", "xmlpath"):
            out = config.getoption(option, None)
            if out and not Path(out).absolute().parent.is_dir():
                raise pytest.UsageError(f"{out}: directory {Path(out).absolute().parent} does not exist (nothing was written)")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Open the source, load (or choose) the profile; bad input is a usage error (exit 4). Register the reports asked for."""
    ref = config.getoption("profile", None)
    if not ref and not any(set(Path(a.split("::", 1)[0]).resolve().parts) & set(ACCEPTANCE_DIRS) for a in config.args):
        return  # not an acceptance run (the self-tests, say)
    from hwcompat import report, selection  # noqa: PLC0415 - they import this module

    try:
        source = open_source(config.getoption("snapshot"))
        facts = FactCache(source)
        given = params.from_command_line(config.getoption("hwcompat_params", []))
        header: list[str] = []
        if ref:
            profile = loader.load(ref, given)
        else:
            chosen, header = selection.select(facts)
            profile = loader.load(chosen, given)
        extra = loader.load_waivers(Path(config.getoption("hwcompat_waivers"))) if config.getoption("hwcompat_waivers", None) else ()
        config.stash[acceptance.WAIVERS] = Waivers.of(profile, extra)
    except (ProfileError, SnapshotError) as err:
        raise pytest.UsageError(str(err)) from None
    fit = selection.verdict(profile, facts)
    if fit.holds is False:
        header.append(f"WARNING: {fit.text}")
    elif fit.holds is None and fit.text:
        header.append(f"note: {fit.text}")
    facts.route_queries = route_queries(profile)
    run = RunState(profile, source, facts, header=header, fit=fit.text, fits=fit.holds)
    config.stash[STATE] = run
    report.register(config, run)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which profile checks which machine, and whether the profile is meant for it."""
    run = config.stash.get(STATE, None)
    if run is None:
        return []
    where = f"snapshot {run.source.location}" if run.source.kind == "snapshot" else "this machine (live)"
    return [f"hwcompat: profile {run.profile.file} ({' -> '.join(run.profile.chain)}) on {where}", *(f"hwcompat: {h}" for h in run.header)]


def route_queries(profile: Profile) -> tuple[Query, ...]:
    """The packets the profile's ``network.paths`` ask about."""
    paths = [e for e in profile.network if e.kind == "paths"]
    if not paths:
        return ()
    from hwcompat.checks import network  # noqa: PLC0415 - the routing stack loads only for a profile with paths

    return tuple(network.query(e) for e in paths)


def state(config: pytest.Config) -> RunState:
    """The state of this run; a usage error when no profile was given."""
    if STATE not in config.stash:
        raise pytest.UsageError(
            "hwcompat: no profile given. Run with --profile P (a path or a name under profiles/), "
            "e.g. --profile hosts/x10sae-xen-dom0 --snapshot snapshots/x10sae-xen-dom0"
        )
    return config.stash[STATE]


def _asks(kind: ItemKind, profile: Profile) -> bool:
    """True when the profile has items of this kind, or this kind says that the profile skips its section."""
    return bool(kind.entries(profile)) or (kind.primary and kind.section not in profile.sections)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> list[pytest.Item] | None:
    """Collect nothing for a kind the profile does not ask about (a kernel profile has no tmem items)."""
    kind = BY_NAME.get(name)
    if kind is None or STATE not in collector.config.stash or _asks(kind, collector.config.stash[STATE].profile):
        return None
    return []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One item per expectation of the test's kind, with the profile key as its id."""
    kind = BY_NAME.get(metafunc.function.__name__)
    if kind is None or "expectation" not in metafunc.fixturenames:
        return
    profile = state(metafunc.config).profile
    entries = kind.entries(profile)
    if entries:
        metafunc.parametrize("expectation", [pytest.param(e, id=e.key) for e in entries], indirect=True)
    else:
        reason = f"profile {profile.name} declares no {kind.section} section"
        metafunc.parametrize("expectation", [pytest.param(None, id=f"no-{kind.section}", marks=pytest.mark.skip(reason=reason))], indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Bind each item to its kind and expectation."""
    for item in items:
        kind = BY_NAME.get(getattr(item, "originalname", ""))
        exp = getattr(getattr(item, "callspec", None), "params", {}).get("expectation")
        if kind is not None and exp is not None:
            item.stash[acceptance.BINDING] = (kind, exp)


@pytest.fixture
def expectation(request: pytest.FixtureRequest) -> Expectation:
    """The expectation this item checks (one item per expectation of the test's kind)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def facts(request: pytest.FixtureRequest) -> FactCache:
    """The checked machine's facts (live or snapshot), collected once per run, per domain, on first use."""
    return state(request.config).facts


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Let assert_check find the running item; turn facts that could not be looked at into the item's failure."""
    token = acceptance.CURRENT.set(item)
    try:
        return (yield)
    except CannotCheck as err:
        if acceptance.BINDING not in item.stash:
            raise
        exp = item.stash[acceptance.BINDING][1]
        acceptance.outcome(acceptance.finish(item, cannot_check(err.reason, exp.describe(), err.broken)))
    finally:
        acceptance.CURRENT.reset(token)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember input that could not be read (the run then exits 3)."""
    report = yield
    result = item.stash.get(acceptance.RESULT, None)
    if report.when == "call" and result is not None and result.broken and STATE in item.config.stash:
        item.config.stash[STATE].broken.append(f"{item.nodeid.split('::')[-1]}: {result.message}")
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Exit 3 when some item needed input hwcompat could not read: a hwcompat problem, whatever else failed."""
    run = session.config.stash.get(STATE, None)
    if run is not None and run.broken:
        session.exitstatus = EXIT_BROKEN_INPUT


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> Generator[None, None, None]:
    """End the run with hwcompat's block: waivers, input that could not be read (exit 3), the verdict, areas and failures.

    The stand-in items of sections the profile does not declare are folded out of pytest's short
    summary (one "not in profile" line says them all) and kept in its counts.
    """
    run = config.stash.get(STATE, None)
    skipped = terminalreporter.stats.get("skipped", [])
    folded = [r for r in skipped if isinstance(r, pytest.TestReport) and "[no-" in r.nodeid and "declares no" in str(r.longrepr)]
    if run is not None and folded:
        terminalreporter.stats["skipped"] = [r for r in skipped if r not in folded]
    try:
        return (yield)
    finally:
        if run is not None:
            if folded:
                terminalreporter.stats["skipped"] = skipped
            _closing_block(terminalreporter, config, run)


def _closing_block(terminalreporter: pytest.TerminalReporter, config: pytest.Config, run: RunState) -> None:
    from hwcompat import report  # noqa: PLC0415 - it imports this module

    waivers = config.stash.get(acceptance.WAIVERS, None)
    if waivers is not None and waivers.waivers:
        terminalreporter.section("waivers")
        for w in waivers.summary():
            ticket = f" {w['ticket']}" if w["ticket"] else ""
            terminalreporter.line(f"{w['status'].upper():8} {w['item']}{ticket} until {w['expires']}: {w['reason']} ({w['profile']})")
    if run.broken:
        terminalreporter.section("hwcompat could not read some input (exit 3)", red=True)
        for line in run.broken:
            terminalreporter.line(line)
    s = report.run_summary(config, run)
    terminalreporter.section(f"hwcompat: {s.verdict_text}", bold=True, green=s.verdict == "compatible", red=s.verdict == "not_compatible",
                             yellow=s.verdict == "incomplete")
    for line in report.terminal_block(s):
        terminalreporter.line(line)
