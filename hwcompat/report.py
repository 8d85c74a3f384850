"""Reports: the terminal's closing block, the HTML page (pytest-html) and the JSON file, all from one :class:`~hwcompat.summary.Summary`.

Like pytest's own junitxml, a reporter is a plugin object registered by :func:`register` when its
option is given. The HTML page keeps pytest-html as the container (one self-contained file, its
per-item table as the detailed log) and puts above it what a person reads first: the verdict, the
checked machine, one line per area, the failures with their fixes, and per area an inventory with
expected and found as visible text. ``hwcompat/report.schema.json`` documents the JSON file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from hwcompat import __version__, acceptance
from hwcompat.checks.pci import unclaimed
from hwcompat.errors import CannotCheck
from hwcompat.plan import AREAS
from hwcompat.profile.model import PciExpectation
from hwcompat.summary import STATUS_WORDS, STATUSES, Collector, ItemRecord, Summary, build, skip_reason, value_text

if TYPE_CHECKING:
    from hwcompat.pytest_plugin import RunState

FORMAT = "hwcompat-report/1"
COLLECTOR = pytest.StashKey[Collector]()


def register(config: pytest.Config, run: RunState) -> None:
    """Register the item collector, and the reporters the command line asks for."""
    collector = Collector()
    config.stash[COLLECTOR] = collector
    config.pluginmanager.register(collector, "hwcompat-collector")
    if config.getoption("hwcompat_json", None):
        config.pluginmanager.register(JsonReport(Path(config.getoption("hwcompat_json")), run), "hwcompat-json")
    if config.getoption("htmlpath", None) and config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(HtmlReport(run, config), "hwcompat-html")


def run_summary(config: pytest.Config, run: RunState) -> Summary:
    """The run's summary so far (complete once the session finishes)."""
    return build(run, config.stash[COLLECTOR].items)


# --- JSON ------------------------------------------------------------------------------------------

def item_json(record: ItemRecord) -> dict[str, Any]:
    """One item as the JSON report writes it (see report.schema.json)."""
    r = record.result
    expected: object = r.expected if r is not None else ""
    found: object = r.found if r is not None else ""
    if r is not None and r.data is not None:
        expected, found = r.data
    return {
        "id": record.id, "test": record.nodeid, "kind": record.kind, "area": record.area, "status": record.status,
        "outcome": record.outcome, "subject": record.subject, "message": record.message,
        "expected": expected, "found": found,
        "expected_text": r.expected if r is not None else "", "found_text": r.found if r is not None else "",
        "profile": r.origin if r is not None else "", "source": r.source if r is not None else "",
        "waiver": r.waiver if r is not None else "", "broken": bool(r and r.broken),
        "results": [r.to_json()] if r is not None else [],
        "skip_reason": record.text if record.outcome == "skipped" else "",
    }


class JsonReport:
    """``--json F``: the summary and every item, as documented by hwcompat/report.schema.json."""

    def __init__(self, path: Path, run: RunState) -> None:
        self.path = path
        self.run = run

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the file (after the exit status is final)."""
        s = run_summary(session.config, self.run)
        waivers = session.config.stash.get(acceptance.WAIVERS, None)
        data = {
            "format": FORMAT, "hwcompat_version": __version__,
            "verdict": s.verdict, "verdict_text": s.verdict_text, "fit": {"holds": s.fits, "text": s.fit},
            "exit_status": int(session.exitstatus), "counts": s.counts,
            "areas": [{"area": a.key, "label": a.label, "declared": a.declared, "counts": a.counts, "words": a.words()} for a in s.areas],
            "machine": s.machine, "profile": s.profile.file, "chain": s.profile.chain, "params": s.profile.params,
            "selection": s.profile.selection, "source": self.run.source.location or "live", "runner": s.runner,
            "items": [item_json(i) for i in s.items],
            "waivers": waivers.summary() if waivers is not None else [],
        }
        self.path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# --- terminal --------------------------------------------------------------------------------------

def terminal_block(s: Summary) -> list[str]:
    """The run's last lines: the verdict, one line per area, the failing items one line each."""
    lines = [s.fit] if s.fit else []
    lines += [f"{a.label:<18} {a.words()}" for a in s.areas if a.declared]
    absent = [a.label for a in s.areas if not a.declared]
    if absent:
        lines.append(f"{'not in profile':<18} {', '.join(absent)}")
    for i in s.failing():
        lines.append(f"{STATUS_WORDS[i.status].upper()} {i.id}: {i.message.splitlines()[0][:300]}")
    return lines


# --- HTML ------------------------------------------------------------------------------------------

STYLE = """
#environment-header, #environment, .summary__data > h2 { display: none; }
.summary, .summary__data { display: block; flex: none; }
#hwcompat { font-size: 13px; max-width: 1400px; color: #111; }
#hwcompat a { color: #1565c0; }
#hwcompat h2 { font-size: 17px; margin: 22px 0 8px; }
#hwcompat table { border-collapse: collapse; margin-bottom: 8px; }
#hwcompat th, #hwcompat td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
#hwcompat th { background: #f4f4f4; }
#hwcompat table.inventory td.msg { max-width: 560px; }
.verdict { font-size: 26px; font-weight: bold; padding: 12px 16px; border-radius: 4px; color: #fff; margin: 8px 0; }
#fit { font-size: 15px; font-weight: normal; margin-top: 6px; }
.verdict.compatible { background: #2e7d32; }
.verdict.not_compatible { background: #c62828; }
.verdict.incomplete { background: #ef6c00; }
.st { font-weight: bold; white-space: nowrap; }
.st.passed { color: #2e7d32; } .st.failed { color: #c62828; } .st.cannot_check { color: #ef6c00; }
.st.waived { color: #6a1b9a; } .st.skipped, .st.not_in_profile, .st.unlisted, .muted, .muted a { color: #888; }
#failures li { margin-bottom: 6px; }
#failures .where { color: #666; }
details#runner { margin-top: 16px; }
@media print {
  .controls, .filter, .run-count, .summary__reload, #results-table, #log-heading, details#runner:not([open]) { display: none !important; }
  body { min-width: 0; font-size: 11px; }
  #hwcompat { max-width: none; }
  #hwcompat a { color: inherit; text-decoration: none; }
  .verdict, .st { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  #hwcompat tr { break-inside: avoid; }
  #hwcompat section { break-inside: auto; }
}
"""


def _e(value: object) -> str:
    return escape(str(value))


def _rows(pairs: Iterable[tuple[str, object]]) -> str:
    return "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in pairs)


def _status(status: str, words: str | None = None) -> str:
    return f'<td class="st {status}">{_e(words or STATUS_WORDS.get(status, status))}</td>'  # type: ignore[call-overload]


def _found_text(i: ItemRecord) -> tuple[str, str]:
    """Expected and found in words for a row: the compared values where there are, else the result's words.

    A check that says what it found only in its message (an interface that is up) shows the message.
    """
    r = i.result
    if r is None:
        return (i.expectation.describe() if i.expectation is not None else ""), ""
    expected, found = r.expected, r.found
    if r.data is not None:
        # strings without Python's quotes; numbers as the check wrote them (microcode in hex)
        if isinstance(r.data[0], str) or r.data[0] is None:
            expected = value_text(r.data[0])
        if isinstance(r.data[1], str) or r.data[1] is None:
            found = value_text(r.data[1])
    return expected or (i.expectation.describe() if i.expectation is not None else ""), found or r.message


def _ordered(items: Iterable[ItemRecord]) -> list[ItemRecord]:
    return sorted(items, key=lambda i: STATUSES.index(i.status))


def _pci_table(run: RunState, items: list[ItemRecord]) -> str:
    rows = []
    for i in _ordered(items):
        exp = i.expectation
        if not isinstance(exp, PciExpectation):
            continue
        driver = exp.prop("driver")
        part = next((p for p in (i.result.parts if i.result else ()) if p.subject == "driver"), None)
        found_driver = value_text(part.data[1]) if part is not None and part.data is not None else ("" if part is None else part.found)
        if i.status in ("failed", "cannot_check", "waived") and part is None:
            found_driver = "-"
        rows.append(f"<tr>{_status(i.status)}<td>{_e(exp.id)}</td><td>{_e(exp.title)}</td><td>{_e(exp.location or 'anywhere')}</td>"
                    f"<td>{_e(driver.describe(value_text) if driver else 'not checked')}</td><td>{_e(found_driver)}</td>"
                    f'<td class="msg">{_e(i.message)}</td></tr>')
    rows += [f'<tr class="unlisted">{_status("unlisted", "unlisted")}<td>{_e(d.id)}</td><td></td><td>{_e(d.path)}</td><td></td>'
             f'<td>{_e(d.driver or "none")}</td><td class="msg">present, named in no profile</td></tr>' for d in _unlisted(run)]
    head = "<tr><th>status</th><th>device</th><th>title</th><th>where</th><th>driver expected</th><th>driver found</th><th>result</th></tr>"
    others = [i for i in items if not isinstance(i.expectation, PciExpectation)]
    return f'<table class="inventory pci">{head}{"".join(rows)}</table>' + (_table(others) if others else "")


def _unlisted(run: RunState) -> list[Any]:
    if run.profile.pci is None or "pci" not in run.facts.collected():
        return []
    try:
        return unclaimed(run.profile.pci, run.facts.pci)
    except CannotCheck:
        return []


def _table(items: list[ItemRecord]) -> str:
    rows = []
    for i in _ordered(items):
        expected, found = _found_text(i)
        origin = i.result.origin if i.result else ""
        said = i.message if i.message != found else ""
        rows.append(f"<tr>{_status(i.status)}<td>{_e(i.subject)}</td><td>{_e(expected)}</td><td>{_e(found)}</td>"
                    f'<td class="msg">{_e(said)}</td><td>{_e(origin)}</td></tr>')
    head = "<tr><th>status</th><th>item</th><th>expected</th><th>found</th><th>result</th><th>profile</th></tr>"
    return f'<table class="inventory">{head}{"".join(rows)}</table>'


def page_top(run: RunState, s: Summary, waivers: list[dict[str, str]], environment: dict[str, object], log_heading: bool = True) -> str:
    """The part of the page above pytest-html's detailed log."""
    m = s.machine
    machine = _rows([("Host", m["host"]), ("Board", m["board"]), ("CPU", m["cpu"]), ("Kernel", m["kernel"]), ("Xen", m["xen"]),
                     ("Recorded", m["recorded"]), ("Facts from", m["facts_from"])] + ([("Recorded by", m["recorded_by"])] if "recorded_by" in m else []))
    params = ", ".join(f"{p['name']}={value_text(p['value'])} ({p['where']})" for p in s.profile.params)
    profile = _rows([("Profile", s.profile.file), ("Chain", " -> ".join(s.profile.chain)), *([("Parameters", params)] if params else []),
                     *(("Choice" if n == 0 else "", line) for n, line in enumerate(s.profile.selection)), ("hwcompat", __version__)])
    areas = "".join(f'<tr class="{"muted" if not a.declared else ""}"><td><a href="#area-{a.key}">{_e(a.label)}</a></td><td>{_e(a.words())}</td></tr>'
                    if a.declared else f'<tr class="muted"><td>{_e(a.label)}</td><td>not in profile</td></tr>' for a in s.areas)
    failing = "".join(f'<li><span class="st {i.status}">{_e(STATUS_WORDS[i.status])}</span> <a href="#area-{i.area}">{_e(i.subject)}</a>: '
                      f'{_e(i.message)} <span class="where">({_e(i.result.origin if i.result else "")})</span></li>' for i in s.failing())
    sections = "".join(f'<section id="area-{key}"><h2>{_e(label)}</h2>'
                       f'{_pci_table(run, mine) if key == "pci" else _table(mine)}</section>'
                       for key, label, _ in AREAS if (mine := [i for i in s.items if i.area == key and i.status != "not_in_profile"]))
    waiver_rows = "".join(f"<tr><td>{_e(w['status'])}</td><td>{_e(w['item'])}</td><td>{_e(w['ticket'])}</td><td>{_e(w['expires'])}</td>"
                          f"<td>{_e(w['reason'])}</td><td>{_e(w['profile'])}</td></tr>" for w in waivers)
    runner = _rows([*s.runner.items(), *((k, value_text(v)) for k, v in environment.items() if k.lower() not in s.runner)])
    return (f"<style>{STYLE}</style><div id=\"hwcompat\">"
            f'<div id="verdict" class="verdict {s.verdict}">{_e(s.verdict_text)}'
            + (f'<div id="fit">{_e(s.fit)}</div>' if s.fit else "") + "</div>"
            f'<h2>Checked machine</h2><table id="machine">{machine}</table>'
            f'<h2>Profile</h2><table id="profile">{profile}</table>'
            f'<h2>Areas</h2><table id="areas">{areas}</table>'
            + (f'<h2>What failed or could not be checked</h2><ul id="failures">{failing}</ul>' if failing else "")
            + sections
            + (f'<h2>Waivers</h2><table id="waivers"><tr><th>status</th><th>item</th><th>ticket</th><th>expires</th><th>reason</th>'
               f'<th>written at</th></tr>{waiver_rows}</table>' if waivers else "")
            + f'<details id="runner"><summary>The machine that ran the check</summary><table>{runner}</table></details>'
            + ('<h2 id="log-heading">Detailed log</h2>' if log_heading else "") + "</div>")


def standalone_page(run: RunState, s: Summary, waivers: list[dict[str, str]]) -> str:
    """One host's report without pytest (the fleet's per-host pages): the same top, then each item's full result."""
    log = "".join(f'<details{" open" if i.status in ("failed", "cannot_check") else ""}><summary class="st {i.status}">'
                  f"{_e(STATUS_WORDS[i.status])}: {_e(i.id)}</summary><pre>{_e(i.text)}</pre></details>"
                  for i in sorted(s.items, key=lambda i: STATUSES.index(i.status)) if i.status != "not_in_profile")
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"/><title>hwcompat: {_e(s.profile.name)} on {_e(s.machine["host"])}</title>'
            f"<style>body {{ font-family: Helvetica, Arial, sans-serif; margin: 16px; }}</style></head><body>"
            f"<h1>hwcompat: {_e(s.profile.name)} on {_e(s.machine['host'])}</h1>{page_top(run, s, waivers, {})}"
            f'<h2 id="log-heading">Detailed log</h2><div id="log">{log}</div></body></html>')


class HtmlReport:
    """pytest-html hooks: the page top, and the detailed log with each item's own result in words."""

    def __init__(self, run: RunState, config: pytest.Config) -> None:
        self.run = run
        self.config = config

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        """Add Result and Profile columns."""
        cells.insert(2, "<th>Result</th>")
        cells.insert(3, "<th>Profile</th>")

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        """Fill Result (what the check found, not the test's docstring) and Profile; escape the test id.

        pytest-html puts the test id into the page as HTML, and ids come from profile keys.
        """
        if len(cells) > 1 and cells[1].startswith('<td class="col-testId">'):
            cells[1] = f'<td class="col-testId">{escape(report.nodeid)}</td>'
        record = self._record(report.nodeid)
        message = record.message.splitlines()[0] if record and record.message else ""
        subject = f"{record.subject}: " if record and record.result is not None else ""
        cells.insert(2, f"<td>{escape(subject + message)}</td>")
        cells.insert(3, f"<td>{escape(record.result.origin if record and record.result else '')}</td>")

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """The item's full result (message, expected, found, profile line, fact source, parts) as its log."""
        record = self._record(report.nodeid)
        text = record.text if record is not None else (skip_reason(report) if report.skipped else "")
        if text:
            data[:] = [f'<pre class="hwcompat-result">{escape(text)}</pre>']

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session) -> None:
        """Everything above the detailed log."""
        waivers = session.config.stash.get(acceptance.WAIVERS, None)
        prefix.append(page_top(self.run, run_summary(session.config, self.run), waivers.summary() if waivers and waivers.waivers else [],
                               _environment(session.config)))

    def pytest_html_report_title(self, report: Any) -> None:
        """Title the report after the profile."""
        report.title = f"hwcompat: {self.run.profile.name}"

    def _record(self, nodeid: str) -> ItemRecord | None:
        return next((i for i in reversed(self.config.stash[COLLECTOR].items) if i.nodeid == nodeid), None)


def _environment(config: pytest.Config) -> dict[str, object]:
    try:
        from pytest_metadata.plugin import metadata_key  # noqa: PLC0415
    except ImportError:
        return {}
    return dict(config.stash.get(metadata_key, {}))
