"""Judge many snapshots at once (``hwcompat fleet``): one verdict per host, what fails where, one report per host.

Each snapshot is judged as ``hwcompat run --snapshot`` would judge it (the same plan, checks,
waivers and verdict), without pytest, in parallel on all cores. A snapshot that cannot be read
(missing, truncated, of a newer format, hostile) is a row of its own saying why; it never stops
the others. Two snapshots of the same host (the same recorded host name) are both judged and
marked.

The fleet report puts the hosts in a matrix with the report's areas, and lists the items that
fail on more than one host first: the fastest way to find a bad batch of boards.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path

from hwcompat import __version__
from hwcompat.errors import HwcompatError, ProfileError, SnapshotError
from hwcompat.plan import AREAS

FORMAT = "hwcompat-fleet/1"


@dataclass
class HostResult:
    """One snapshot's outcome in the fleet."""

    snapshot: str
    host: str = ""
    profile: str = ""
    verdict: str = "unreadable"
    verdict_text: str = ""
    fit: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    areas: dict[str, str] = field(default_factory=dict)
    failing: list[dict[str, str]] = field(default_factory=list)
    report: str = ""
    error: str = ""
    duplicate_of: list[str] = field(default_factory=list)


@lru_cache(maxsize=64)
def _profile(ref: str, params: tuple[tuple[str, str], ...]) -> object:
    from hwcompat.profile import loader  # noqa: PLC0415

    return loader.load(ref, dict(params))


def judge(snapshot: str, profile_ref: str | None, params: tuple[tuple[str, str], ...], reports: str | None, index: int) -> HostResult:
    """Judge one snapshot (runs in a worker process). Never raises for bad input: the row says what went wrong."""
    from hwcompat.facts.cache import FactCache  # noqa: PLC0415
    from hwcompat.plan import evaluate  # noqa: PLC0415
    from hwcompat.profile.model import Profile  # noqa: PLC0415
    from hwcompat.pytest_plugin import RunState, route_queries  # noqa: PLC0415
    from hwcompat.report import standalone_page  # noqa: PLC0415
    from hwcompat.selection import select  # noqa: PLC0415
    from hwcompat.selection import verdict as fit_of  # noqa: PLC0415
    from hwcompat.sources.snapshot import SnapshotSource  # noqa: PLC0415
    from hwcompat.summary import build, records  # noqa: PLC0415
    from hwcompat.waivers import Waivers  # noqa: PLC0415

    row = HostResult(snapshot)
    try:
        source = SnapshotSource(snapshot)
        row.host = str(source.manifest.get("hostname") or "") or Path(snapshot).name
        facts = FactCache(source)
        header: list[str] = []
        if profile_ref:
            profile = _profile(profile_ref, params)
        else:
            chosen, header = select(facts)
            profile = _profile(str(chosen), params)
        assert isinstance(profile, Profile)
        row.profile = profile.file
        facts.route_queries = route_queries(profile)
        waivers = Waivers.of(profile)
        results = evaluate(profile, facts, waivers.apply)
        fit = fit_of(profile, facts)
        if fit.holds is False:
            header.append(f"WARNING: {fit.text}")
        run = RunState(profile, source, facts, header=header, fit=fit.text, fits=fit.holds)
        s = build(run, records(profile, results))
    except SnapshotError as err:
        row.error = str(err)
        return row
    except ProfileError as err:  # no profile fits it, or the one given cannot be used for it
        row.verdict, row.error = "no_profile", str(err)
        return row
    except HwcompatError as err:  # a parser bug on this host's input: said on its row, the fleet goes on
        row.error = f"hwcompat could not read this snapshot: {err}"
        return row
    row.verdict, row.verdict_text, row.fit, row.counts = s.verdict, s.verdict_text, s.fit, s.counts
    row.areas = {a.key: a.words() for a in s.areas}
    row.failing = [{"id": i.id, "status": i.status, "message": i.message.splitlines()[0][:400]} for i in s.failing()]
    if reports:
        name = f"{index:04d}-{_safe(row.host)}.html"
        (Path(reports) / name).write_text(standalone_page(run, s, waivers.summary() if waivers.waivers else []), encoding="utf-8")
        row.report = f"{Path(reports).name}/{name}"
    return row


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "host"


def run_fleet(snapshots: list[str], profile: str | None, params: dict[str, str], html: Path | None, jobs: int | None) -> list[HostResult]:
    """Judge every snapshot, in parallel; per-host reports go beside ``html`` (in ``<html stem>-hosts/``)."""
    reports = None
    if html is not None:
        folder = html.with_name(f"{html.stem}-hosts")
        folder.mkdir(exist_ok=True)
        reports = str(folder)
    frozen = tuple(sorted(params.items()))
    workers = min(jobs or os.cpu_count() or 1, max(1, len(snapshots)))
    if workers == 1:
        rows = [judge(s, profile, frozen, reports, i) for i, s in enumerate(snapshots)]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(judge, snapshots, [profile] * len(snapshots), [frozen] * len(snapshots), [reports] * len(snapshots),
                                 range(len(snapshots)), chunksize=max(1, len(snapshots) // (workers * 8))))
    by_host: dict[str, list[HostResult]] = {}
    for row in rows:
        if row.host:
            by_host.setdefault(row.host, []).append(row)
    for same in by_host.values():
        if len(same) > 1:
            for row in same:
                row.duplicate_of = [r.snapshot for r in same if r is not row]
    return rows


def failing_items(rows: list[HostResult]) -> list[tuple[str, list[HostResult]]]:
    """Items that fail (or cannot be checked) on some host, most hosts first."""
    hosts: dict[str, list[HostResult]] = {}
    for row in rows:
        for item in row.failing:
            hosts.setdefault(item["id"], []).append(row)
    return sorted(hosts.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def summary_line(rows: list[HostResult]) -> str:
    """``4 hosts: 2 compatible, 1 not compatible, 1 unreadable``."""
    counts = Counter(r.verdict for r in rows)
    order = ("compatible", "not_compatible", "incomplete", "no_profile", "unreadable")
    return f"{len(rows)} host(s): " + ", ".join(f"{counts[v]} {v.replace('_', ' ')}" for v in order if counts[v])


def to_json(rows: list[HostResult]) -> dict[str, object]:
    """The fleet as plain data."""
    return {"format": FORMAT, "hwcompat_version": __version__, "summary": summary_line(rows), "hosts": [asdict(r) for r in rows],
            "failing_items": [{"id": item, "hosts": [r.host or r.snapshot for r in hs]} for item, hs in failing_items(rows)]}


STYLE = """
body { font-family: Helvetica, Arial, sans-serif; font-size: 13px; margin: 16px; color: #111; }
table { border-collapse: collapse; margin-bottom: 12px; } th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } .compatible { color: #2e7d32; font-weight: bold; } .not_compatible { color: #c62828; font-weight: bold; }
.incomplete { color: #ef6c00; font-weight: bold; } .unreadable { color: #6a1b9a; font-weight: bold; } .muted { color: #888; }
@media print { a { color: inherit; text-decoration: none; } tr { break-inside: avoid; } }
"""


def html_page(rows: list[HostResult]) -> str:
    """The fleet report: the hosts x areas matrix, then the items that fail on N hosts."""
    e = escape
    heads = "".join(f"<th>{e(label)}</th>" for _, label, _ in AREAS)
    lines = []
    for r in rows:
        name = f'<a href="{e(r.report)}">{e(r.host)}</a>' if r.report else e(r.host or Path(r.snapshot).name)
        dup = f'<div class="muted">same host as {e(", ".join(r.duplicate_of))}</div>' if r.duplicate_of else ""
        if r.error:
            lines.append(f'<tr><td>{name}{dup}<div class="muted">{e(r.snapshot)}</div></td><td class="unreadable">'
                         f'{e(r.verdict.replace("_", " ").upper())}</td><td colspan="{len(AREAS) + 1}"><pre>{e(r.error)}</pre></td></tr>')
            continue
        cells = "".join(f'<td class="{"muted" if r.areas.get(k) == "not in profile" else ""}">{e(r.areas.get(k, ""))}</td>' for k, _, _ in AREAS)
        fit = f'<div class="muted">{e(r.fit)}</div>' if r.fit else ""
        lines.append(f'<tr><td>{name}{dup}<div class="muted">{e(r.snapshot)}</div></td><td class="{r.verdict}">{e(r.verdict_text)}{fit}</td>'
                     f"{cells}<td>{e(r.profile)}</td></tr>")
    failing = "".join(f"<tr><td>{len(hs)}</td><td>{e(item)}</td><td>{', '.join(e(h.host) for h in hs)}</td>"
                      f"<td>{e(next(i['message'] for i in hs[0].failing if i['id'] == item))}</td></tr>" for item, hs in failing_items(rows))
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"/><title>hwcompat fleet</title><style>{STYLE}</style></head><body>'
            f'<h1>hwcompat fleet</h1><p id="fleet-summary">{e(summary_line(rows))}</p>'
            f'<h2>Hosts</h2><table id="hosts"><tr><th>host</th><th>verdict</th>{heads}<th>profile</th></tr>{"".join(lines)}</table>'
            + (f'<h2>Items that fail on some hosts</h2><table id="failing"><tr><th>hosts</th><th>item</th><th>which</th><th>first message</th></tr>'
               f"{failing}</table>" if failing else "<h2>Items that fail on some hosts</h2><p>none</p>")
            + f'<p class="muted">hwcompat {e(__version__)}</p></body></html>')


def text(rows: list[HostResult]) -> str:
    """The fleet for the terminal: one line per host, then the items failing on several hosts."""
    out = []
    for r in rows:
        dup = f" (same host as {', '.join(r.duplicate_of)})" if r.duplicate_of else ""
        what = f"{r.verdict.replace('_', ' ').upper()}: {r.error.splitlines()[0]}" if r.error else r.verdict_text
        out.append(f"{(r.host or r.snapshot)[:40]:<40} {what}{dup}")
    items = failing_items(rows)
    if items:
        out.append("items failing or not checked, by number of hosts:")
        out += [f"  {len(hs):>4}  {item}" for item, hs in items[:30]]
    out.append(summary_line(rows))
    return "\n".join(out) + "\n"


def write(rows: list[HostResult], html: Path | None, json_path: Path | None) -> None:
    """Write the reports asked for."""
    if html is not None:
        html.write_text(html_page(rows), encoding="utf-8")
    if json_path is not None:
        json_path.write_text(json.dumps(to_json(rows), indent=2) + "\n", encoding="utf-8")
