"""The reports as people and programs read them: the verdict, the machine, the areas, expected and
found in every row; the JSON file against its shipped schema; the HTML page in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

from hwcompat.summary import verdict
from selftests.conftest import REPO, SEED
from selftests.test_suite import hwcompat

SCHEMA = json.loads((REPO / "hwcompat" / "report.schema.json").read_text())
GATEWAY = REPO / "snapshots" / "vpn-gateway"


def _incomplete_seed(tmp_path: Path) -> Path:
    """The seed snapshot without the `xl info` answer: the Xen and tmem items cannot be checked, the rest passes."""
    snap = tmp_path / "seed-no-xl-info"
    shutil.copytree(SEED, snap, symlinks=True)
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["commands"] = [c for c in manifest["commands"] if c["argv"][:2] != ["xl", "info"]]
    (snap / "manifest.json").write_text(json.dumps(manifest))
    return snap


RUNS = {
    "compatible": ("hosts/x10sae-xen-dom0", lambda tmp: SEED, 0),
    "not_compatible": ("hosts/vpn-gateway", lambda tmp: GATEWAY, 1),
    "incomplete": ("hosts/x10sae-xen-dom0", _incomplete_seed, 1),
}


def _run(tmp_path: Path, which: str) -> tuple[subprocess.CompletedProcess[str], dict, Path]:  # type: ignore[type-arg]
    profile, snapshot, code = RUNS[which]
    out, html = tmp_path / "r.json", tmp_path / "report.html"
    proc = hwcompat("run", "--profile", profile, "--snapshot", str(snapshot(tmp_path)), "--json", str(out), "--html", str(html))
    assert proc.returncode == code, proc.stdout[-3000:]
    return proc, json.loads(out.read_text()), html


@pytest.mark.parametrize("which", sorted(RUNS))
def test_json_report_follows_its_schema_and_says_the_verdict(tmp_path: Path, which: str) -> None:
    _, data, _ = _run(tmp_path, which)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert data["verdict"] == which
    assert sum(data["counts"].values()) == len(data["items"])


def test_json_values_are_values_not_python_repr(tmp_path: Path) -> None:
    _, data, _ = _run(tmp_path, "compatible")
    items = {i["id"]: i for i in data["items"]}
    nic = items["test_pci_device[8086:153a@00:19.0]"]["results"][0]["parts"]
    assert {p["subject"]: (p["expected_value"], p["found_value"]) for p in nic}["driver"] == ("e1000e", "e1000e")
    assert (items["test_cpu_property[family]"]["expected"], items["test_cpu_property[family]"]["found"]) == (6, 6)
    assert items["test_memory_property[total_mb]"]["expected"] == {"min": 9216, "max": 10240}
    assert "'" not in json.dumps([i["found"] for i in data["items"] if isinstance(i["found"], str) and i["kind"] == "test_cpu_property"])
    assert data["machine"]["board"] == "Supermicro X10SAE" and data["machine"]["xen"] == "Xen 4.3.0 (dom0)"


def test_statuses_and_the_verdict_never_pass_what_could_not_be_looked_at(tmp_path: Path) -> None:
    _, data, _ = _run(tmp_path, "incomplete")
    unchecked = {i["id"] for i in data["items"] if i["status"] == "cannot_check"}
    assert "test_xen_cmdline[dom0_mem]" in unchecked and not any(i["status"] == "failed" for i in data["items"])
    assert data["verdict_text"].startswith(f"INCOMPLETE ({len(unchecked)} items could not be checked")
    assert verdict({"passed": 5, "cannot_check": 1, "failed": 1, "waived": 2})[1] == "NOT COMPATIBLE (1 item failed, 1 could not be checked; 2 waived)"
    assert verdict({"passed": 5, "waived": 1})[0] == "compatible"
    assert verdict({"skipped": 3})[0] == "incomplete"  # nothing checked is not compatible


def test_terminal_ends_with_the_verdict_areas_and_failures_and_folds_undeclared_sections(tmp_path: Path) -> None:
    proc, _, _ = _run(tmp_path, "not_compatible")
    tail = proc.stdout.split("hwcompat: NOT COMPATIBLE (1 item failed)", 1)[1]
    assert re.search(r"^Network +1 failed, 19 passed$", tail, re.M)
    assert "not in profile     PCI devices, CPU, Board and memory, Kernel and boot, Xen, tmem" in tail
    assert "FAILED test_network_no_leak[vlan-internet]: leak: with tun-hma gone" in tail and "ip route add unreachable default" in tail
    assert "declares no" not in proc.stdout  # seven SKIPPED lines folded into the one line above
    assert "1 failed, 19 passed, 7 skipped" in proc.stdout  # still counted


# --- in a real browser --------------------------------------------------------------------------

def _chromium() -> str:
    return shutil.which("chromium") or shutil.which("chromium-browser") or ""


def render(html: Path, tmp_path: Path) -> tuple[str, str]:
    """The DOM after the page's scripts ran, and Chromium's log (console messages and errors)."""
    proc = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'chromium'}", "--enable-logging=stderr",
                           "--v=0", "--virtual-time-budget=5000", "--dump-dom", html.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    return proc.stdout, proc.stderr


def _text(dom: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:div|table|ul)>', dom, re.S)
    assert m, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip()


def _console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]


BROWSER = pytest.mark.skipif(not _chromium(), reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it as root)")


@BROWSER
def test_a_passing_report_shows_verdict_machine_and_every_found_driver(tmp_path: Path) -> None:
    _, _, html = _run(tmp_path, "compatible")
    dom, log = render(html, tmp_path)
    assert _text(dom, "verdict") == "COMPATIBLE (97 passed)"
    machine = _text(dom, "machine")
    for needle in ("Supermicro X10SAE", "E3-1265L v3", "Linux 3.13-1-amd64", "Xen 4.3.0 (dom0)", "2014-09-02"):
        assert needle in machine, needle
    pci = re.search(r'<section id="area-pci">(.*?)</section>', dom, re.S)
    assert pci
    # the NIC's row: expected and found driver as visible text, in a passing report
    row = re.search(r"<tr><td class=\"st passed\">passed</td><td>8086:153a</td>.*?</tr>", pci.group(1), re.S)
    assert row and row.group(0).count("<td>e1000e</td>") == 2
    assert "not in profile" in _text(dom, "areas")  # the network line, muted, not a row per section
    assert "data:application/json" not in dom  # no data: links Chromium refuses to open
    assert len(re.findall(r'class="col-result[^"]*">Passed<', dom)) == 97  # the detailed log rendered below
    assert _console_errors(log) == []


@BROWSER
def test_a_failing_report_puts_the_failure_and_its_fix_first(tmp_path: Path) -> None:
    _, _, html = _run(tmp_path, "not_compatible")
    dom, log = render(html, tmp_path)
    assert _text(dom, "verdict") == "NOT COMPATIBLE (1 item failed)"
    failures = _text(dom, "failures")
    assert "network no_leak vlan-internet" in failures and "ip route add unreachable default metric 4278198272 table 3" in failures
    assert dom.index('id="failures"') < dom.index('id="area-network"')
    network = re.search(r'<section id="area-network">(.*?)</section>', dom, re.S)
    assert network
    statuses = re.findall(r'<td class="st (\w+)">', network.group(1))
    assert statuses[0] == "failed" and set(statuses[1:]) == {"passed"}  # failures first
    # the detailed log describes the failed row by its result, not by the test's docstring
    assert "With the tunnel down, the traffic is dropped rather than leaked." not in dom
    assert _console_errors(log) == []


@BROWSER
def test_an_incomplete_report_is_not_green(tmp_path: Path) -> None:
    _, _, html = _run(tmp_path, "incomplete")
    dom, log = render(html, tmp_path)
    assert _text(dom, "verdict").startswith("INCOMPLETE (")
    assert 'class="verdict incomplete"' in dom
    assert "could not check" in _text(dom, "areas")
    assert _console_errors(log) == []


def test_a_thousand_device_report_stays_small(tmp_path: Path) -> None:
    from tools.bench import big_snapshot

    snap, profile = big_snapshot(tmp_path, devices=1000)
    html = tmp_path / "big.html"
    started = time.monotonic()
    proc = hwcompat("run", "--profile", str(profile), "--snapshot", str(snap), "--html", str(html), "--", "-q")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert html.stat().st_size < 3_000_000, html.stat().st_size
    assert time.monotonic() - started < 600  # not a timing test: only a guard against a hang


@BROWSER
def test_the_console_check_sees_a_broken_page(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    assert len(_console_errors(render(page, tmp_path)[1])) == 1
