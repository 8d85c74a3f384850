"""Waivers: a known failure is reported as waived (xfail), never as passed; after its date it fails
saying so; a waiver whose item passes is stale; a waiver for no item, or with no date, is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from selftests.conftest import SEED
from selftests.test_suite import hwcompat

I217 = "test_pci_device[8086:153a@00:19.0]"


def _host(tmp_path: Path, waivers: str) -> Path:
    path = tmp_path / "host.yaml"
    path.write_text(f"name: waived-host\nextends: [boards/supermicro-x10sae]\nwaivers:\n{waivers}")
    return path


def _run(tmp_path: Path, profile: Path, snapshot: Path, *args: str) -> tuple[int, str, dict[str, object]]:
    out = tmp_path / "r.json"
    proc = hwcompat("run", "--profile", str(profile), "--snapshot", str(snapshot), "--json", str(out), *args)
    return proc.returncode, proc.stdout + proc.stderr, json.loads(out.read_text()) if out.exists() else {}


@pytest.fixture
def no_i217(tmp_path: Path) -> Path:
    snap = tmp_path / "snap"
    shutil.copytree(SEED, snap, symlinks=True)
    (snap / "fs/sys/bus/pci/devices/0000:00:19.0").unlink()
    return snap


def test_a_waived_failure_is_reported_as_waived_not_passed(tmp_path: Path, no_i217: Path) -> None:
    host = _host(tmp_path, f'  "{I217}": {{reason: "NIC replaced by an add-in card", ticket: OPS-17, expires: 2999-12-31}}\n')
    code, out, data = _run(tmp_path, host, no_i217)
    assert code == 0, out[-2000:]
    item = next(i for i in data["items"] if i["test"].endswith(I217))
    assert item["outcome"] == "waived" and "waived until 2999-12-31 (OPS-17): NIC replaced by an add-in card" in item["results"][0]["message"]
    assert "1 xfailed" in out and "APPLIED  " + I217 + " OPS-17 until 2999-12-31" in out
    assert data["waivers"][0]["status"] == "applied"


def test_an_expired_waiver_fails_saying_so(tmp_path: Path, no_i217: Path) -> None:
    host = _host(tmp_path, f'  "{I217}": {{reason: "until the card arrives", expires: 2020-01-01}}\n')
    code, _, data = _run(tmp_path, host, no_i217)
    assert code == 1
    item = next(i for i in data["items"] if i["test"].endswith(I217))
    assert item["outcome"] == "failed" and item["results"][0]["message"].startswith("waiver expired on 2020-01-01: until the card arrives; missing")


def test_a_waiver_for_an_item_that_passes_is_stale(tmp_path: Path) -> None:
    host = _host(tmp_path, f'  "{I217}": {{reason: "was broken once", expires: 2999-12-31}}\n')
    code, out, data = _run(tmp_path, host, SEED)
    assert code == 0 and data["waivers"][0]["status"] == "stale" and "STALE    " + I217 in out


def test_a_waivers_file_on_the_command_line(tmp_path: Path, no_i217: Path) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text(f'waivers:\n  "{I217}": {{reason: "known", expires: 2999-01-01}}\n')
    code, out, _ = _run(tmp_path, _host(tmp_path, "  {}\n").with_name("host.yaml"), no_i217, "--waivers", str(waivers))
    assert code == 0, out[-1500:]


@pytest.mark.parametrize(("waivers", "line", "words"), [
    ('  "test_pci_device[dead:beef]": {reason: x, expires: 2999-01-01}\n', 4, "no item of profile waived-host has this id; items of that kind:"),
    (f'  "{I217}": {{reason: x, expires: soon}}\n', 4, "'soon' is not of the form a date, YYYY-MM-DD"),
    (f'  "{I217}": {{reason: x, expires: 2027-02-30}}\n', 4, "'2027-02-30' is not a date (YYYY-MM-DD)"),
    (f'  "{I217}": {{expires: 2999-01-01}}\n', 4, "missing required key 'reason'"),
])
def test_a_waiver_that_cannot_apply_is_a_profile_error(tmp_path: Path, waivers: str, line: int, words: str) -> None:
    code, out, _ = _run(tmp_path, _host(tmp_path, waivers), SEED)
    assert code == 4 and f"host.yaml:{line}" in out and words in out, out[-1500:]
