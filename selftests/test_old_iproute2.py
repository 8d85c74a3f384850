"""A gateway read through iproute2 3.10.0 (CentOS 7's): no -j at all, every listing as text, IPv6 included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from selftests.conftest import REPO
from selftests.test_suite import hwcompat, run_json

SNAP = REPO / "snapshots" / "iproute2-3.10-gateway"
PROFILE = "hosts/iproute2-3.10-gateway"


def _copy(tmp_path: Path) -> Path:
    snap = tmp_path / "gw"
    shutil.copytree(SNAP, snap, symlinks=True)
    return snap


def test_it_passes_and_says_it_read_text(tmp_path: Path) -> None:
    code, items = run_json(tmp_path, PROFILE, SNAP)
    assert code == 0 and set(items.values()) == {"passed", "skipped"}
    data = json.loads((tmp_path / "r.json").read_text())
    sources = {i["id"]: i["source"] for i in data["items"]}
    assert "ip rule show (text; ip -j rule show: no -j: iproute2 older than 4.14)" in sources["test_network_rule[200]"]
    assert "ip -d link show" in sources["test_network_interface[br6]"]


def test_without_the_guard_route_only_the_leak_item_fails(tmp_path: Path) -> None:
    snap = _copy(tmp_path)
    routes = snap / "cmd/ip_route_show_table_all"
    routes.write_text("".join(line for line in routes.read_text().splitlines(keepends=True) if not line.startswith("unreachable default")))
    code, items = run_json(tmp_path, PROFILE, snap)
    assert code == 1 and [k for k, v in items.items() if v == "failed"] == ["test_network_no_leak[vlan-internet]"]


def test_words_of_ipv6_routes_do_not_matter_and_an_unknown_ipv4_word_names_its_line(tmp_path: Path) -> None:
    snap = _copy(tmp_path)
    routes = snap / "cmd/ip_route_show_table_all"
    text = routes.read_text().replace("2001:db8:6::/64 dev br6  proto kernel  metric 256 ",
                                      "2001:db8:6::/64 dev br6  proto kernel  metric 256  expires 86397sec pref medium hoplimit 64 frobnicate 3")
    routes.write_text(text)
    assert run_json(tmp_path, PROFILE, snap)[0] == 0
    routes.write_text(text.replace("default via 192.168.1.254 dev eth0 onlink ", "default via 192.168.1.254 dev eth0 onlink frobnicate 3"))
    proc = hwcompat("run", "--profile", PROFILE, "--snapshot", str(snap))
    assert proc.returncode == 3
    assert "ip route show table all line 3: unknown word 'frobnicate'" in proc.stdout
