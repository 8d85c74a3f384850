"""Live network self-tests, inside network namespaces the tests create and delete (root).

The seed gateway is built with a veth standing in for the 802.1q VLAN (8021q is often missing),
a bridge, a tun device named tun-hma, the two rules, table 3, an iptables-nft MASQUERADE and
forwarding on; tests_net then runs live inside the namespace. A hypothesis property loads random
rules and routes into a namespace and checks that the offline evaluator agrees with the kernel's
``ip route get`` every time.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcompat.parsers import ip_json
from hwcompat.routing import Query, route_packet
from selftests.live import netns

REASON = netns.why_not()
pytestmark = [pytest.mark.live, pytest.mark.skipif(bool(REASON), reason=REASON or "ok")]

GATEWAY_PROFILE = """
name: live-gateway
description: the seed gateway as built in a namespace (vlan6 is a veth standing in for eth0.6)
network:
  interfaces:
    tun-hma: {kind: tun}
    vlan6: {kind: veth}
    br6: {kind: bridge, up: true, members: [vlan6], addresses: ["192.168.6.1/24"]}
    eth0: {up: true, addresses: ["192.168.1.2/24"]}
  forwarding: true
  rp_filter: {br6: not_strict, tun-hma: not_strict}
  rules:
    "200": {from: 192.168.6.0/24, to: 192.168.0.0/16, table: main}
    "201": {from: 192.168.6.0/24, table: 3}
  routes:
    "3": {default: {dev: tun-hma}}
  nat: {tun-hma: masquerade}
  paths:
    vlan-to-internet: {from: 192.168.6.10, iif: br6, to: 8.8.8.8, leaves: tun-hma}
    vlan-to-lan: {from: 192.168.6.10, iif: br6, to: 192.168.1.5, leaves: eth0}
  no_leak:
    vlan-internet: {from: 192.168.6.10, iif: br6, to: 8.8.8.8, tunnel: tun-hma}
"""


def build_gateway(ns: str, guard: bool) -> None:
    netns.batch(ns, [
        "link set lo up",
        "link add eth0 type veth peer name eth0-peer", "link set eth0 up", "link set eth0-peer up",
        "addr add 192.168.1.2/24 dev eth0",
        "link add vlan6 type veth peer name vlan6-peer", "link add br6 type bridge", "link set vlan6 master br6",
        "link set vlan6 up", "link set vlan6-peer up", "link set br6 up", "addr add 192.168.6.1/24 dev br6",
        "tuntap add dev tun-hma mode tun", "link set tun-hma up", "addr add 10.200.0.6 peer 10.200.0.5 dev tun-hma",
        "route add default via 192.168.1.254 dev eth0",
        # written with host bits, as the seed's admin did; the kernel matches them as /24 and /16
        "rule add from 192.168.6.1/24 to 192.168.1.1/16 lookup main pref 200",
        "rule add from 192.168.6.1/24 lookup 3 pref 201",
        "route add default dev tun-hma table 3",
        *(["route add unreachable default metric 4278198272 table 3"] if guard else []),
    ])
    netns.sysctl(ns, "ipv4.ip_forward", 1)
    for dev in ("all", "br6", "tun-hma", "eth0"):
        netns.sysctl(ns, f"ipv4.conf.{dev}.rp_filter", 2 if dev != "all" else 0)
    if shutil.which("iptables"):
        netns.run(ns, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "tun-hma", "-j", "MASQUERADE")


def run_suite(ns: str, tmp_path: Path) -> dict[str, tuple[str, str]]:
    profile = tmp_path / "live-gateway.yaml"
    profile.write_text(GATEWAY_PROFILE)
    out = tmp_path / "r.json"
    netns.run(ns, sys.executable, "-m", "hwcompat.cli", "run", "--profile", str(profile), "--json", str(out), check=False)
    items = json.loads(out.read_text())["items"]
    return {i["test"].split("::", 1)[1]: (i["outcome"], i["message"]) for i in items if "tests_net" in i["test"]}


def failed(items: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {k: m for k, (o, m) in items.items() if o == "failed"}


@pytest.mark.skipif(shutil.which("iptables") is None, reason="iptables is not installed (apt-get install iptables)")
def test_guarded_gateway_passes_live_and_stays_guarded_without_the_tunnel(tmp_path: Path) -> None:
    with netns.namespace("gw") as ns:
        build_gateway(ns, guard=True)
        assert failed(run_suite(ns, tmp_path)) == {}
        netns.run(ns, "ip", "link", "del", "tun-hma")
        msg = failed(run_suite(ns, tmp_path))
        assert "test_network_no_leak[vlan-internet]" not in msg
        assert "dropped" in msg["test_network_path[vlan-to-internet]"] and "the kernel" in msg["test_network_path[vlan-to-internet]"]


@pytest.mark.skipif(shutil.which("iptables") is None, reason="iptables is not installed (apt-get install iptables)")
def test_published_gateway_leaks_when_the_tunnel_goes(tmp_path: Path) -> None:
    with netns.namespace("gw") as ns:
        build_gateway(ns, guard=False)
        assert list(failed(run_suite(ns, tmp_path))) == ["test_network_no_leak[vlan-internet]"]
        netns.run(ns, "ip", "link", "del", "tun-hma")
        msg = failed(run_suite(ns, tmp_path))
        assert "leak: with tun-hma gone" in msg["test_network_no_leak[vlan-internet]"]
        assert "leaves through eth0" in msg["test_network_path[vlan-to-internet]"]


DEVS = ("vA", "vB", "vC")
PREFIXES = ("default", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.168.0.0/16", "8.8.8.0/24")
route_st = st.tuples(st.sampled_from(PREFIXES), st.sampled_from(("main", "1", "2", "3")),
                     st.sampled_from(("unicast", "unicast", "unicast", "unreachable", "blackhole", "prohibit", "throw")),
                     st.sampled_from(DEVS), st.sampled_from((0, 10, 100)))
rule_st = st.tuples(st.integers(100, 400), st.one_of(st.none(), st.sampled_from(("10.0.0.0/8", "10.1.2.3/16", "192.168.1.1/24"))),
                    st.one_of(st.none(), st.sampled_from(("8.8.8.8/24", "10.0.0.0/8", "192.168.0.0/16"))),
                    st.one_of(st.none(), st.sampled_from(("vA", "vB", "lo"))),
                    st.sampled_from(("1", "2", "3", "main", "unreachable", "blackhole", "prohibit")), st.booleans())
query_st = st.one_of(
    st.builds(Query, st.sampled_from(("10.0.1.5", "10.1.2.3", "192.168.1.9", "8.8.8.8")),
              st.sampled_from(("8.8.8.8", "10.1.2.9", "10.0.3.4", "192.168.5.5", "1.1.1.1")), st.sampled_from(("vA", "vB"))),
    st.builds(Query, st.sampled_from(("10.0.1.1", "10.0.2.1")), st.sampled_from(("8.8.8.8", "10.1.2.9", "192.168.5.5")), st.none()),
)


@pytest.fixture(scope="module")
def lab() -> str:
    with netns.namespace("lab") as ns:
        netns.batch(ns, ["link set lo up"] + [c for i, d in enumerate(DEVS, 1) for c in (
            f"link add {d} type veth peer name {d}p", f"link set {d} up", f"link set {d}p up", f"addr add 10.0.{i}.1/24 dev {d}")])
        netns.sysctl(ns, "ipv4.ip_forward", 1)
        yield ns


@settings(max_examples=60, deadline=None)
@given(routes=st.lists(route_st, max_size=8), rules=st.lists(rule_st, max_size=5, unique_by=lambda r: r[0]),
       queries=st.lists(query_st, min_size=1, max_size=4), rp=st.sampled_from((0, 1, 2)), forwarding=st.sampled_from((0, 1, 1)))
def test_evaluator_agrees_with_the_kernel(lab: str, routes, rules, queries, rp: int, forwarding: int) -> None:
    commands = ["rule flush", "rule add from all lookup main pref 32766", "rule add from all lookup default pref 32767"]
    commands += [f"route flush table {t}" for t in ("1", "2", "3")] + ["route flush table main proto boot"]
    for dst, table, kind, dev, metric in routes:
        where = f"dev {dev}" if kind == "unicast" else ""
        commands.append(f"route add {'' if kind == 'unicast' else kind} {dst} {where} table {table} metric {metric}")
    for pref, src, dst, iif, target, negate in rules:
        sel = " ".join(x for x in ("not" if negate else "", f"from {src}" if src else "from all", f"to {dst}" if dst else "",
                                   f"iif {iif}" if iif else "") if x)
        act = f"lookup {target}" if target not in ("unreachable", "blackhole", "prohibit") else target
        commands.append(f"rule add {sel} {act} pref {pref}")
    netns.batch(lab, commands)
    netns.sysctl(lab, "ipv4.ip_forward", forwarding)
    for dev in ("all", *DEVS):
        netns.sysctl(lab, f"ipv4.conf.{dev}.rp_filter", rp if dev == "all" else 0)
    got_rules = ip_json.parse_rules(netns.run(lab, "ip", "-j", "rule", "show").stdout)
    got_routes = ip_json.parse_routes(netns.run(lab, "ip", "-j", "route", "show", "table", "all").stdout)
    rp_values = {"all": rp, **dict.fromkeys(DEVS, 0)}
    for q in queries:
        argv = ["ip", "-j", "route", "get", q.dst, "from", q.src] + (["iif", q.iif] if q.iif else [])
        kernel = netns.run(lab, *argv, check=False)
        mine = route_packet(got_rules, got_routes, q, bool(forwarding), rp_values)
        if kernel.returncode == 0:
            first = json.loads(kernel.stdout)[0]
            assert (mine.error, mine.dev, mine.table) == (None, first.get("dev"), first.get("table", "main")), (q, kernel.stdout, mine)
        else:
            assert mine.error == kernel.stderr.strip().removeprefix("RTNETLINK answers: "), (q, kernel.stderr, mine, commands)
