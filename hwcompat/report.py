"""Reports: the HTML report's hooks (pytest-html) and the JSON report, each registered only when asked for.

Like pytest's own junitxml, a reporter is a plugin object registered by :func:`register` when its
option is given; per-item data comes from the item's stash (:data:`hwcompat.acceptance.RESULT`).
"""

from __future__ import annotations

import json
from collections.abc import Generator
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from hwcompat import acceptance
from hwcompat.errors import CannotCheck, HwcompatError

if TYPE_CHECKING:
    from hwcompat.pytest_plugin import RunState


def register(config: pytest.Config, run: RunState) -> None:
    """Register the reporters the command line asks for."""
    if config.getoption("hwcompat_json", None):
        config.pluginmanager.register(JsonReport(Path(config.getoption("hwcompat_json")), run), "hwcompat-json")
    if config.getoption("htmlpath", None) and config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(HtmlReport(run), "hwcompat-html")
        _fill_metadata(config, run)


def item_data(item: pytest.Item, report: pytest.TestReport) -> dict[str, Any]:
    """What the reports say about one item: its kind's line, its result, where its expectation came from."""
    binding = item.stash.get(acceptance.BINDING, None)
    result = item.stash.get(acceptance.RESULT, None)
    return {
        "description": binding[0].doc if binding else "",
        "result": result.to_json() if result is not None else None,
        "origin": result.origin if result is not None else (str(binding[1].origin) if binding else ""),
    }


class JsonReport:
    """``--json F``: every item's id, outcome and result, with the profile chain and the source."""

    def __init__(self, path: Path, run: RunState) -> None:
        self.path = path
        self.run = run
        self.items: list[dict[str, Any]] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Keep the item's data when its outcome is known (after the call, or a skip or error at setup)."""
        report = yield
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            data = item_data(item, report)
            self.items.append({
                "test": item.nodeid, "outcome": "waived" if hasattr(report, "wasxfail") else report.outcome, "description": data["description"],
                "results": [data["result"]] if data["result"] else [], "message": str(report.longrepr) if report.failed else "",
                "skip_reason": _skip_reason(report) if report.skipped else "",
            })
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the file (after the exit status is final)."""
        waivers = session.config.stash.get(acceptance.WAIVERS, None)
        data = {
            "profile": self.run.profile.file, "chain": list(self.run.profile.chain),
            "source": self.run.source.location or "live", "exit_status": int(session.exitstatus), "items": self.items,
            "waivers": waivers.summary() if waivers is not None else [], "selection": self.run.header,
        }
        self.path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr or "")


class HtmlReport:
    """pytest-html hooks: Description and Profile columns, the result as JSON, skip reasons as sentences."""

    def __init__(self, run: RunState) -> None:
        self.run = run
        self.rows: dict[str, dict[str, Any]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Keep the item's description, profile line and result for its row; attach the result as JSON."""
        report = yield
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            data = self.rows[report.nodeid] = item_data(item, report)
            if data["result"]:
                from pytest_html import extras  # noqa: PLC0415

                # pytest-html reads report.extras, an attribute it expects plugins to set
                report.extras = [*getattr(report, "extras", []), extras.json(data["result"], name="check result")]  # type: ignore[attr-defined]
        return report

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        """Add Description and Profile columns."""
        cells.insert(2, "<th>Description</th>")
        cells.insert(3, "<th>Profile</th>")

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        """Fill Description (the item kind's line) and Profile (file:line of the expectation); escape the test id.

        pytest-html puts the test id into the page as HTML, and ids come from profile keys.
        """
        if len(cells) > 1 and cells[1].startswith('<td class="col-testId">'):
            cells[1] = f'<td class="col-testId">{escape(report.nodeid)}</td>'
        row = self.rows.get(report.nodeid, {})
        cells.insert(2, f"<td>{escape(row.get('description', ''))}</td>")
        cells.insert(3, f"<td>{escape(row.get('origin', ''))}</td>")

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """Show a skip's reason as a sentence, not as pytest's (file, line, reason) tuple."""
        if report.skipped:
            data[:] = [escape(_skip_reason(report)) + "\n"]

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session) -> None:
        """A section of its own for the waivers and what became of each."""
        waivers = session.config.stash.get(acceptance.WAIVERS, None)
        if waivers is None or not waivers.waivers:
            return
        rows = "".join(f"<tr><td>{escape(w['status'])}</td><td>{escape(w['item'])}</td><td>{escape(w['ticket'])}</td>"
                       f"<td>{escape(w['expires'])}</td><td>{escape(w['reason'])}</td><td>{escape(w['profile'])}</td></tr>"
                       for w in waivers.summary())
        prefix.append(f"<h2>Waivers</h2><table id=\"waivers\"><tr><th>status</th><th>item</th><th>ticket</th><th>expires</th>"
                      f"<th>reason</th><th>written at</th></tr>{rows}</table>")

    def pytest_html_report_title(self, report: Any) -> None:
        """Title the report after the profile."""
        report.title = f"hwcompat: {self.run.profile.name}"


def _fill_metadata(config: pytest.Config, run: RunState) -> None:
    try:
        from pytest_metadata.plugin import metadata_key  # noqa: PLC0415
    except ImportError:
        return
    if metadata_key not in config.stash:
        return
    meta = config.stash[metadata_key]
    # pytest-html's page inserts environment values as HTML; these come from the checked machine or snapshot
    ours = {"Facts from": f"snapshot {run.source.location}" if run.source.kind == "snapshot" else "live machine",
            "Profile": run.profile.file, "Profile chain": " -> ".join(run.profile.chain), **selection_lines(run), **environment(run)}
    for label, value in ours.items():
        meta[label] = escape(value)


def selection_lines(run: RunState) -> dict[str, str]:
    """How the profile was chosen, and whether its ``match`` holds here, as the terminal's first lines say."""
    return {"Profile choice" if i == 0 else f"Profile choice ({i + 1})": line for i, line in enumerate(run.header)}


def environment(run: RunState) -> dict[str, str]:
    """Host, board, CPU and kernel of the checked machine, as far as they can be read."""
    out: dict[str, str] = {}
    try:
        host = run.source.read_text("/proc/sys/kernel/hostname")
        out["Host"] = host.strip() if host else "unknown"
    except HwcompatError as err:
        out["Host"] = _unknown(str(err))
    facts = run.facts
    try:
        board = [facts.dmi.get("board_vendor"), facts.dmi.get("board_name")]
        out["Board"] = " ".join(b for b in board if isinstance(b, str)) or _unknown(getattr(board[-1], "reason", ""))
    except CannotCheck as err:
        out["Board"] = _unknown(err.reason)
    try:
        out["CPU"] = f"{facts.cpu.model_name} ({facts.cpu.logical_cpus} logical CPUs)"
    except CannotCheck as err:
        out["CPU"] = _unknown(err.reason)
    try:
        release = facts.kernel.release
        out["Kernel"] = release if isinstance(release, str) else _unknown(release.reason)
    except CannotCheck as err:
        out["Kernel"] = _unknown(err.reason)
    return out


def _unknown(reason: str) -> str:
    return "not recorded" if "not recorded" in reason else f"unknown ({reason})"
