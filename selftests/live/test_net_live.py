"""Live network self-tests, inside network namespaces the tests create and delete (root).

The seed gateway is built with a veth standing in for the 802.1q VLAN (8021q is often missing),
a bridge, a tun device named tun-hma, the two rules, table 3, an iptables-nft MASQUERADE and
forwarding on; tests_net then runs live inside the namespace. A wg-quick full-tunnel host is
built the same way (a tun device stands in for wg0 where the wireguard module is absent). A
hypothesis property loads random rules (every selector and action ip rule has) and routes
(multipath, TOS, linkdown nexthops) into a namespace and checks that the offline evaluator
agrees with the kernel's ``ip route get``, asked with the same mark, TOS, protocol, ports and
uid, or says it cannot evaluate, which must stay the exception.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcompat.parsers import ip_json
from hwcompat.routing import Answer, Fib, Query, route_packet
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




WG_PROFILE = """
name: live-wg-quick
description: a wg-quick full-tunnel host as built in a namespace (wg0 is a tun device where the wireguard module is absent)
network:
  paths:
    to-internet: {from: 192.168.122.160, to: 1.1.1.1, leaves: wg0}
    to-lan: {from: 192.168.122.160, to: 192.168.122.5, leaves: enp1s0}
    tunnel-itself: {from: 192.168.122.160, to: 203.0.113.7, mark: 51820, leaves: enp1s0}
  no_leak:
    internet: {from: 192.168.122.160, to: 1.1.1.1, tunnel: wg0}
"""


def build_wg_quick(ns: str, suppress: bool = True) -> str:
    """The rules and routes wg-quick up makes for AllowedIPs = 0.0.0.0/0 (wireguard-tools wg-quick/linux.bash add_default)."""
    kind = "wireguard" if netns.run(ns, "ip", "link", "add", "wg0", "type", "wireguard", check=False).returncode == 0 else "tun"
    netns.batch(ns, [
        "link set lo up",
        *(["tuntap add dev wg0 mode tun"] if kind == "tun" else []),
        "link add enp1s0 type veth peer name enp1s0-peer", "link set enp1s0 up", "link set enp1s0-peer up",
        "addr add 192.168.122.160/24 dev enp1s0", "route add default via 192.168.122.1 dev enp1s0 proto dhcp metric 100",
        "addr add 10.90.90.1/24 dev wg0", "link set wg0 up",
        "route add 0.0.0.0/0 dev wg0 table 51820",
        "rule add not fwmark 51820 table 51820",
        *(["rule add table main suppress_prefixlength 0"] if suppress else []),
    ])
    netns.sysctl(ns, "ipv4.conf.all.src_valid_mark", 1)
    return kind


def test_wg_quick_full_tunnel_is_judged_by_the_kernel_and_the_evaluator_alike(tmp_path: Path) -> None:
    with netns.namespace("wg") as ns:
        build_wg_quick(ns)
        fib = lab_fib(ns)
        for q, dev in ((Query("192.168.122.160", "1.1.1.1"), "wg0"), (Query("192.168.122.160", "192.168.122.5"), "enp1s0"),
                       (Query("192.168.122.160", "203.0.113.7", mark=51820), "enp1s0")):
            assert kernel_answer(ns, q)[1] == dev and route_packet(fib, q).dev == dev, q
        profile = tmp_path / "wg.yaml"
        profile.write_text(WG_PROFILE)
        out = tmp_path / "r.json"
        netns.run(ns, sys.executable, "-m", "hwcompat.cli", "run", "--profile", str(profile), "--json", str(out), check=False)
        items = {i["test"].split("::", 1)[1]: (i["outcome"], i["message"]) for i in json.loads(out.read_text())["items"] if "tests_net" in i["test"]}
        # the kernel sends everything unmarked through wg0 (the old evaluator said enp1s0: suppress_prefixlength was dropped)
        assert {k: o for k, (o, _) in items.items()} == {
            "test_network_path[to-internet]": "passed", "test_network_path[to-lan]": "passed",
            "test_network_path[tunnel-itself]": "passed", "test_network_no_leak[internet]": "failed"}, items
        assert "leaves through enp1s0" in items["test_network_no_leak[internet]"][1]


def test_wg_quick_without_its_suppress_rule_loses_the_lan(tmp_path: Path) -> None:
    with netns.namespace("wg") as ns:
        build_wg_quick(ns, suppress=False)
        fib = lab_fib(ns)
        lan = Query("192.168.122.160", "192.168.122.5")
        assert kernel_answer(ns, lan)[1] == "wg0" == route_packet(fib, lan).dev


def lab_fib(ns: str) -> Fib:
    """The evaluator's view of a namespace: what hwcompat's collectors read, read inside it."""
    conf: dict[str, dict[str, int]] = {}
    out = netns.run(ns, "sh", "-c", "cd /proc/sys/net/ipv4/conf && grep -H . */rp_filter */forwarding */src_valid_mark */accept_local "
                                    "*/route_localnet */ignore_routes_with_linkdown").stdout
    for line in out.splitlines():
        path, _, value = line.partition(":")
        dev, key = path.split("/")
        conf.setdefault(dev, {})[key] = int(value)
    rp = {dev: values.pop("rp_filter") for dev, values in conf.items()}
    forwarding = netns.run(ns, "cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"
    links = {link.ifname: link for link in ip_json.parse_links(netns.run(ns, "ip", "-d", "-j", "link", "show").stdout)}
    return Fib(ip_json.parse_rules(netns.run(ns, "ip", "-j", "rule", "show").stdout),
               ip_json.parse_routes(netns.run(ns, "ip", "-j", "route", "show", "table", "all").stdout), forwarding, rp, conf, links,
               ip_json.parse_addrs(netns.run(ns, "ip", "-j", "addr", "show").stdout))


def kernel_answer(ns: str, q: Query) -> tuple[str, ...]:
    """``ip route get`` asked for exactly the packet of the query: ("error", message) or (type, dev, table)."""
    argv = ["ip", "-j", "route", "get", q.dst, "from", q.src] + (["iif", q.iif] if q.iif else [])
    argv += ["mark", str(q.mark), "tos", f"{q.tos:#x}"] + (["ipproto", str(q.proto)] if q.proto is not None else [])
    argv += [x for name, value in (("sport", q.sport), ("dport", q.dport)) if value for x in (name, str(value))]
    argv += ["uid", str(q.uid)] if q.uid is not None and not q.iif else []
    out = netns.run(ns, *argv, check=False)
    if out.returncode:
        return ("error", out.stderr.strip().removeprefix("RTNETLINK answers: "))
    first = json.loads(out.stdout)[0]
    if first.get("type") in ("local", "broadcast"):
        return ("local", first.get("dev", ""))
    return (first.get("type", "unicast"), first.get("dev", ""), first.get("table", "main"))


def mine(answer: Answer) -> tuple[str, ...]:
    if answer.error:
        return ("error", answer.error)
    return ("local", "lo") if answer.local else ("unicast", answer.dev or "", answer.table or "")


DEVS = ("vA", "vB", "vC", "vD")  # vD's peer stays down: its routes are linkdown
PREFIXES = ("default", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.168.0.0/16", "8.8.8.0/24")
route_st = st.tuples(st.sampled_from(PREFIXES), st.sampled_from(("main", "1", "2", "3", "50")),
                     st.sampled_from(("unicast",) * 4 + ("unreachable", "blackhole", "prohibit", "throw", "multipath", "samepath")),
                     st.sampled_from(DEVS), st.sampled_from((0, 10, 100)), st.sampled_from(("", "", "", "0x10")))
selector_st = st.fixed_dictionaries({}, optional={
    "not": st.just("not"), "from": st.sampled_from(("10.0.0.0/8", "10.1.2.3/16", "192.168.1.1/24", "10.0.1.0/24")),
    "to": st.sampled_from(("8.8.8.8/24", "10.0.0.0/8", "192.168.0.0/16")), "iif": st.sampled_from(("vA", "vB", "lo")),
    "oif": st.just("vA"), "fwmark": st.sampled_from(("0x1", "0x1/0x1", "0x2/0x3", "0/0x1")), "tos": st.sampled_from(("0x10", "0x08")),
    "ipproto": st.sampled_from(("tcp", "udp", "icmp")), "sport": st.sampled_from(("53", "1000-2000")),
    "dport": st.sampled_from(("53", "80-90", "443")), "uidrange": st.sampled_from(("0-0", "1000-2000")),
})
action_st = st.one_of(
    st.builds(lambda t, p, g: f"lookup {t}" + (f" suppress_prefixlength {p}" if p is not None else "") + (f" suppress_ifgroup {g}" if g else ""),
              st.sampled_from(("1", "2", "3", "main")), st.sampled_from((None, None, 0, 8, 24)), st.sampled_from((None, None, 5))),
    st.sampled_from(("unreachable", "blackhole", "prohibit", "nop", "l3mdev")), st.integers(1, 150).map(lambda k: f"goto +{k}"),
)
rule_st = st.tuples(st.integers(100, 400), selector_st, action_st)
query_st = st.builds(
    Query, st.sampled_from(("10.0.1.5", "10.1.2.3", "192.168.1.9", "8.8.8.8", "10.0.2.1", "127.0.0.5", "0.0.0.0", "10.0.1.255")),
    st.sampled_from(("8.8.8.8", "10.1.2.9", "10.0.3.4", "192.168.5.5", "1.1.1.1", "10.0.1.1", "10.0.1.255", "255.255.255.255", "127.0.0.1")),
    st.sampled_from(("vA", "vB", "vA", "vC")),
    st.sampled_from((0, 0, 1, 2, 3)), st.sampled_from((0, 0, 0x10, 0x08)), st.sampled_from((6, 17, 1)),
    st.sampled_from((1000, 1500, 53)), st.sampled_from((53, 85, 443, 8080)))
local_query_st = st.builds(
    Query, st.sampled_from(("10.0.1.1", "10.0.2.1", "10.0.9.9")), st.sampled_from(("8.8.8.8", "10.1.2.9", "192.168.5.5", "10.0.2.1")),
    st.none(), st.sampled_from((0, 1, 2)), st.sampled_from((0, 0x10)), st.sampled_from((6, 17)), st.sampled_from((1000, 53)),
    st.sampled_from((53, 443)), st.sampled_from((0, 1500)))


@pytest.fixture(scope="module")
def lab() -> str:
    with netns.namespace("lab") as ns:
        commands = ["link set lo up"]
        for i, d in enumerate(DEVS, 1):
            commands += [f"link add {d} type veth peer name {d}p", f"link set {d} up", f"addr add 10.0.{i}.1/24 dev {d}"]
            commands += [f"link set {d}p up"] if d != "vD" else []
        netns.batch(ns, [*commands, "link set vB group 5"])
        # vC in a VRF (table 50) where the kernel has VRFs (CONFIG_NET_VRF); elsewhere l3mdev rules are drawn all the same
        if netns.run(ns, "ip", "link", "add", "vrf1", "type", "vrf", "table", "50", check=False).returncode == 0:
            netns.batch(ns, ["link set vrf1 up", "link set vC master vrf1"])
        yield ns


def _rule_command(pref: int, selectors: dict[str, str], action: str) -> str:
    sel = " ".join(("not" if k == "not" else f"{k} {v}") for k, v in selectors.items())
    if action.startswith("goto +"):
        action = f"goto {pref + int(action[6:])}"
    return f"rule add pref {pref} {sel} {action}"


def _route_command(dst: str, table: str, kind: str, dev: str, metric: int, tos: str) -> str:
    other = DEVS[(DEVS.index(dev) + 1) % len(DEVS)]
    where = {"unicast": f"dev {dev}", "multipath": f"nexthop dev {dev} nexthop dev {other}",
             "samepath": f"nexthop via 10.0.{DEVS.index(dev) + 1}.2 dev {dev} nexthop via 10.0.{DEVS.index(dev) + 1}.3 dev {dev}"}
    kind_word = "" if kind in where else kind
    # nexthops go last: ip route reads everything after "nexthop" as nexthop options
    return f"route add {kind_word} {dst} table {table} metric {metric}" + (f" tos {tos}" if tos else "") + f" {where.get(kind, '')}"


def test_evaluator_agrees_with_the_kernel(lab: str) -> None:
    seen: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None, database=None)
    @given(routes=st.lists(route_st, max_size=10), rules=st.lists(rule_st, max_size=6, unique_by=lambda r: r[0]),
           queries=st.lists(st.one_of(query_st, local_query_st), min_size=1, max_size=6), rp=st.sampled_from((0, 0, 1, 2)),
           forwarding=st.sampled_from((0, 1, 1, 1)), default=st.booleans())
    def agree(routes, rules, queries, rp: int, forwarding: int, default: bool) -> None:
        commands = ["rule flush", "rule add from all lookup main pref 32766", "rule add from all lookup default pref 32767"]
        commands += [f"route flush table {t}" for t in ("1", "2", "3", "50")] + ["route flush table main proto boot"]
        commands += ["route add default via 10.0.3.2 dev vC metric 50"] if default else []
        commands += [_route_command(*r) for r in routes] + [_rule_command(*r) for r in rules]
        refused = netns.run(lab, "ip", "-force", "-batch", "-", check=False, stdin="\n".join(commands) + "\n").stderr
        seen["commands"] += len(commands)
        seen["refused by ip"] += refused.count("Command failed")
        netns.sysctl(lab, "ipv4.ip_forward", forwarding)
        for dev in ("all", *DEVS):
            netns.sysctl(lab, f"ipv4.conf.{dev}.rp_filter", rp if dev == "all" else 0)
        fib = lab_fib(lab)
        for q in queries:
            seen["asked"] += 1
            answer = route_packet(fib, q)
            if answer.unknown:
                seen["cannot evaluate"] += 1
                seen[answer.unknown.split(",")[0].split(" (")[0]] += 1
                continue
            got = kernel_answer(lab, q)
            seen[got[0] if got[0] != "error" else got[1]] += 1
            assert mine(answer) == got, (q, answer, got, commands)

    agree()
    vrf = netns.run(lab, "ip", "link", "show", "vrf1", check=False).returncode == 0
    print(dict(seen), "with a VRF" if vrf else "without a VRF (this kernel has no CONFIG_NET_VRF): l3mdev rules never match")
    # the evaluator decides nearly every packet: "cannot evaluate" is for multipath spreads and what it does not model
    assert seen["cannot evaluate"] <= seen["asked"] // 10, dict(seen)
