"""Choosing the profile: match: on DMI fields, the most specific shipped profile when --profile is not
given, a clear refusal when none or two fit, and a warning when the given profile is for other machines."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from hwcompat.errors import ProfileError
from hwcompat.facts.cache import FactCache
from hwcompat.profile import loader
from hwcompat.selection import candidates, select, verdict
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import REPO, SEED
from selftests.test_suite import hwcompat

X10SLM_F = REPO / "snapshots/x10slm-f"


@pytest.mark.parametrize(("snapshot", "chosen"), [(SEED, "boards/supermicro-x10sae"), (X10SLM_F, "boards/supermicro-x10slm-f")])
def test_without_a_profile_the_one_for_this_board_is_chosen_and_said_first(snapshot: Path, chosen: str) -> None:
    proc = hwcompat("run", "--snapshot", str(snapshot))
    assert proc.returncode == 0, proc.stdout[-2000:]
    header = proc.stdout.split("collected", 1)[0]
    assert f"hwcompat: profile chosen: profiles/{chosen}.yaml, whose match holds on this machine (board_vendor 'Supermicro'" in header


def test_no_fitting_profile_is_a_usage_error_listing_the_candidates() -> None:
    proc = hwcompat("run", "--snapshot", str(REPO / "snapshots/vpn-gateway"))
    assert proc.returncode == 4
    assert "no shipped profile is for this machine (no DMI: /sys/class/dmi/id/board_vendor is not recorded" in proc.stdout + proc.stderr
    assert "profiles/boards/supermicro-x10sae.yaml:" in proc.stdout + proc.stderr


def test_a_profile_for_other_machines_says_so_in_the_first_lines_and_in_the_reports(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = hwcompat("run", "--profile", "boards/supermicro-x10sae", "--snapshot", str(X10SLM_F), "--json", str(out), "--html", str(tmp_path / "r.html"))
    header = proc.stdout.split("collected", 1)[0]
    warning = ("WARNING: profile profiles/boards/supermicro-x10sae.yaml is for machines with board_vendor 'Supermicro', "
               "board_name 'X10SAE'; this machine reports board_vendor 'Supermicro', board_name 'X10SLM-F'")
    assert f"hwcompat: {warning}" in header
    assert json.loads(out.read_text())["selection"] == [warning]
    assert json.loads(out.read_text())["fit"] == {"holds": False, "text": warning}
    assert warning.removeprefix("WARNING: ") in html.unescape((tmp_path / "r.html").read_text())  # under the verdict
    assert warning in proc.stdout.split("hwcompat: NOT COMPATIBLE", 1)[1]  # and again in the closing block, under the verdict


def test_match_is_not_inherited_for_choosing_but_is_for_the_warning() -> None:
    # the seed host extends the X10SAE board, yet it is not chosen for every X10SAE...
    assert "x10sae-xen-dom0.yaml" not in {p.name for p in candidates()}
    # ...while a run of it on another board still says that it is for X10SAE boards
    inherited = loader.load("hosts/x10sae-xen-dom0").match
    assert inherited and inherited[0].origin.file.endswith("boards/supermicro-x10sae.yaml")
    result = verdict(loader.load("hosts/x10sae-xen-dom0"), FactCache(SnapshotSource(X10SLM_F)))
    assert result.holds is False
    assert result.text.startswith("profile profiles/hosts/x10sae-xen-dom0.yaml is for machines with board_vendor 'Supermicro', "
                                  "board_name 'X10SAE' (as profiles/boards/supermicro-x10sae.yaml says); this machine reports")


def _profiles(tmp_path: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    monkeypatch.setattr(loader, "PROFILES_DIR", tmp_path)


BOARD = "name: {n}\nmatch:\n  board_vendor: Supermicro\n  board_name: X10SAE\n"


def test_a_host_is_more_specific_than_a_board_and_more_fields_beat_fewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _profiles(tmp_path, {"boards/a.yaml": BOARD.format(n="a"), "boards/b.yaml": BOARD.format(n="b") + "  bios_version: {version: '>=1'}\n"},
              monkeypatch)
    facts = FactCache(SnapshotSource(SEED))
    chosen, lines = select(facts)
    assert chosen.name == "b.yaml" and "also fitting, less specific" in lines[1]
    (tmp_path / "hosts").mkdir()
    (tmp_path / "hosts/h.yaml").write_text(BOARD.format(n="h"))
    assert select(facts)[0].name == "h.yaml"


def test_two_equally_fitting_profiles_are_refused_naming_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _profiles(tmp_path, {"boards/a.yaml": BOARD.format(n="a"), "boards/b.yaml": BOARD.format(n="b")}, monkeypatch)
    with pytest.raises(ProfileError, match=r"2 profiles fit this machine .* equally") as info:
        select(FactCache(SnapshotSource(SEED)))
    assert "profiles/boards/a.yaml:3" in str(info.value) and "profiles/boards/b.yaml:3" in str(info.value)  # their match lines


def test_a_bios_version_range_and_no_dmi_at_all(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nmatch:\n  board_name: X10SAE\n  bios_version: {version: '>=9'}\n")
    result = verdict(loader.load(path), FactCache(SnapshotSource(SEED)))
    assert result.holds is False and "bios_version" in result.text
    none = verdict(loader.load(path), FactCache(SnapshotSource(REPO / "snapshots/vpn-gateway")))
    assert none.holds is None and "cannot be told" in none.text
