"""Network: the seed gateway fails exactly the leak (with the fix), the fixed one passes; old
iproute2 text, every NAT backend, non-root and missing tools; OpenVPN credentials are never read."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hwcompat.facts import network
from hwcompat.facts.cache import FactCache
from hwcompat.plan import evaluate
from hwcompat.profile import loader
from hwcompat.sources.base import FileStat
from hwcompat.sources.recording import RecordingSource
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import REPO
from selftests.fakes import DictSource

GATEWAY = REPO / "snapshots" / "vpn-gateway"
FIXED = REPO / "snapshots" / "vpn-gateway-fixed"


def failed(snapshot: Path, profile: str = "hosts/vpn-gateway") -> dict[str, str]:
    """The failing items of a profile on a snapshot, with their messages."""
    res = evaluate(loader.load(profile), FactCache(SnapshotSource(snapshot)))
    return {item: r.message for item, r in res if r.outcome == "failed"}


@pytest.fixture
def gw(tmp_path: Path) -> Path:
    dest = tmp_path / "gw"
    shutil.copytree(GATEWAY, dest, symlinks=True)
    return dest


def _commands(snap: Path, change) -> None:
    manifest = json.loads((snap / "manifest.json").read_text())
    for cmd in manifest["commands"]:
        change(cmd)
    (snap / "manifest.json").write_text(json.dumps(manifest))


def test_published_gateway_fails_only_the_leak_with_the_fix() -> None:
    msg = failed(GATEWAY)
    assert list(msg) == ["test_network_no_leak[vlan-internet]"]
    assert msg["test_network_no_leak[vlan-internet]"] == (
        "leak: with tun-hma gone, traffic from 192.168.6.10 arriving on br6 to 8.8.8.8 leaves through eth0 via 192.168.1.254 "
        "(table main, rule 32766: default via 192.168.1.254 dev eth0); add `ip route add unreachable default metric 4278198272 table 3` "
        "(kept when the tunnel route goes)")


def test_fixed_gateway_passes_everything() -> None:
    res = evaluate(loader.load("hosts/vpn-gateway"), FactCache(SnapshotSource(FIXED)))
    assert {r.outcome for _, r in res} == {"passed"} and len(res) == 20


def test_old_iproute2_text_output_gives_the_same_answers(gw: Path) -> None:
    routes = "".join(line + "\n" for line in (REPO / "selftests/data/parsers/ip_route_text--iproute2-3.16.txt").read_text().splitlines()
                     if "vB" not in line and "table 7" not in line and "unreachable" not in line)
    (gw / "cmd/ip_rule_show").write_text("0:\tfrom all lookup local\n200:\tfrom 192.168.6.1/24 to 192.168.1.1/16 lookup main\n"
                                         "201:\tfrom 192.168.6.1/24 lookup 3\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n")
    (gw / "cmd/ip_route_show_table_all").write_text(routes + "192.168.6.0/24 dev br6  proto kernel  scope link  src 192.168.6.1 \n")
    old = 'Option "-j" is unknown, try "ip -help".'

    def change(cmd: dict) -> None:
        if cmd["argv"][:3] in (["ip", "-j", "rule"], ["ip", "-j", "route"]):
            cmd.update(stdout=None, exit=255, stderr=old)
    _commands(gw, change)
    manifest = json.loads((gw / "manifest.json").read_text())
    manifest["commands"] += [{"argv": ["ip", "rule", "show"], "stdout": "cmd/ip_rule_show", "exit": 0, "stderr": ""},
                             {"argv": ["ip", "route", "show", "table", "all"], "stdout": "cmd/ip_route_show_table_all", "exit": 0, "stderr": ""}]
    (gw / "manifest.json").write_text(json.dumps(manifest))
    assert list(failed(gw)) == ["test_network_no_leak[vlan-internet]"]


def test_nat_needs_root(gw: Path) -> None:
    def change(cmd: dict) -> None:
        if cmd["argv"][0] in ("iptables-legacy-save", "iptables-nft-save", "iptables-save", "nft"):
            cmd.update(stdout=None, exit=4, stderr="iptables-nft-save v1.8.9 (nf_tables): Could not fetch rule set generation id: "
                                                    "Permission denied (you must be root)")
    _commands(gw, change)
    msg = failed(gw)
    assert msg["test_network_nat[tunnel]"].startswith("cannot check: `iptables-legacy-save -t nat` failed with exit 4 (needs root)")


def test_no_nat_tool_installed(gw: Path) -> None:
    _commands(gw, lambda cmd: cmd.update(stdout=None, exit=127, stderr="not installed") if cmd["argv"][0].startswith(("ipt", "nft")) else None)
    manifest = json.loads((gw / "manifest.json").read_text())
    manifest["commands"].append({"argv": ["iptables-save", "-t", "nat"], "stdout": None, "exit": 127, "stderr": "not installed"})
    (gw / "manifest.json").write_text(json.dumps(manifest))
    assert failed(gw)["test_network_nat[tunnel]"] == (
        "cannot check: no NAT tool is installed (iptables-save, iptables-legacy-save, iptables-nft-save, nft)")


def test_native_nft_masquerade_counts(gw: Path) -> None:
    (gw / "cmd/iptables-nft-save_-t_nat").write_text("")
    (gw / "cmd/iptables-save_-t_nat").write_text("")
    native = json.loads((REPO / "selftests/data/parsers/nft_json--native.txt").read_text())
    native["nftables"][3]["rule"]["expr"][1]["match"].update(op="==", right="tun-hma")
    (gw / "cmd/nft_-j_list_ruleset").write_text(json.dumps(native) + "\n")
    assert "test_network_nat[tunnel]" not in failed(gw)


def test_missing_masquerade_says_what_to_add(gw: Path) -> None:
    for name in ("iptables-nft-save_-t_nat", "iptables-save_-t_nat"):
        (gw / "cmd" / name).write_text("*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n")
    (gw / "cmd/nft_-j_list_ruleset").write_text('{"nftables": []}\n')
    assert failed(gw)["test_network_nat[tunnel]"] == (
        "not masqueraded: traffic from 192.168.6.0/24 leaving through tun-hma gets no NAT: no nat chain is hooked at postrouting "
        "(looked in iptables-legacy-save, iptables-nft-save, nft); add: iptables -t nat -A POSTROUTING -s 192.168.6.0/24 -o tun-hma -j MASQUERADE")


@pytest.mark.parametrize(("mutate", "item", "words"), [
    (lambda g: (g / "fs/etc/openvpn/hma.conf").write_text((g / "fs/etc/openvpn/hma.conf").read_text().replace("#route-metric", "route-metric")),
     "test_network_openvpn[tunnel:route_metric]", "route-metric is set at /etc/openvpn/hma.conf:12: comment it out"),
    (lambda g: (g / "fs/etc/openvpn/hma.conf").write_text((g / "fs/etc/openvpn/hma.conf").read_text().replace("route-noexec\n", "")),
     "test_network_openvpn[tunnel:route_noexec]", "route-noexec is missing"),
    (lambda g: _stat(g, mode="0644"), "test_network_openvpn[tunnel:auth_user_pass]",
     "/etc/openvpn/hma.pass is readable by group or others (mode 0644): chmod 600 /etc/openvpn/hma.pass"),
    (lambda g: _stat(g, uid=1000), "test_network_openvpn[tunnel:auth_user_pass]", "/etc/openvpn/hma.pass is owned by uid 1000, not root"),
    (lambda g: (g / "fs/proc/sys/net/ipv4/conf/br6/rp_filter").write_text("1\n"), "test_network_rp_filter[vlan]",
     "effective strict = max(all=0, br6=1), expected not strict: strict filtering drops packets"),
    (lambda g: (g / "cmd/ip_-d_-j_link_show").write_text((g / "cmd/ip_-d_-j_link_show").read_text().replace('"id":6', '"id":7')),
     "test_network_interface[eth0.6]", "vlan_id expected 6, found 7"),
    (lambda g: (g / "cmd/ip_-j_route_show_table_all").write_text((g / "cmd/ip_-j_route_show_table_all").read_text().replace(
        '{"dst":"default","dev":"tun-hma","table":"3","scope":"link","flags":[]},', "")),
     "test_network_route[3/default]", "missing: no route to default in table 3 (table 3: no IPv4 route)"),
    (lambda g: (g / "cmd/ip_-j_rule_show").write_text((g / "cmd/ip_-j_rule_show").read_text().replace('"table":"3"', '"table":"4"')),
     "test_network_rule[201]", "table expected 3, found '4'"),
])
def test_gateway_mutation_fails_its_item(gw: Path, mutate, item: str, words: str) -> None:
    mutate(gw)
    msg = failed(gw)
    # emptying table 3, or pointing rule 201 elsewhere, really changes where VLAN traffic goes
    also = {"test_network_path[vlan-to-internet]"} if item in ("test_network_route[3/default]", "test_network_rule[201]") else set()
    assert set(msg) - {"test_network_no_leak[vlan-internet]"} == {item} | also
    assert words in msg[item]


def _stat(snap: Path, **change: object) -> None:
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["stat"]["/etc/openvpn/hma.pass"].update(change)
    (snap / "manifest.json").write_text(json.dumps(manifest))


def test_forwarding_off_fails_forwarding_and_the_forwarded_paths(gw: Path) -> None:
    (gw / "fs/proc/sys/net/ipv4/ip_forward").write_text("0\n")
    msg = failed(gw)
    # with forwarding off nothing is forwarded at all, so nothing can leak either
    assert set(msg) == {"test_network_forwarding[ip_forward]", "test_network_path[vlan-to-internet]", "test_network_path[vlan-to-lan]"}
    assert "dropped: No route to host" in msg["test_network_path[vlan-to-internet]"]


def test_table_named_in_rt_tables(gw: Path) -> None:
    (gw / "fs/etc/iproute2/rt_tables").write_text("255\tlocal\n254\tmain\n253\tdefault\n3\thma\n")
    for name in ("ip_-j_rule_show", "ip_-j_route_show_table_all"):
        path = gw / "cmd" / name
        path.write_text(path.read_text().replace('"table":"3"', '"table":"hma"'))
    assert list(failed(gw)) == ["test_network_no_leak[vlan-internet]"]


def test_credentials_are_only_ever_stated() -> None:
    secret = "/etc/openvpn/hma.pass"

    class Source(DictSource):
        def read_text(self, path: str) -> str | None:
            assert path != secret, "the credential file was read"
            return super().read_text(path)

        def stat(self, path: str) -> FileStat | None:
            return FileStat("file", "0600", 0, 0, 24) if path == secret else None

    src = Source(files={"/etc/openvpn/hma.conf": f"dev tun-hma\nauth-user-pass {secret}\n", secret: "user\npassword\n"})
    rec = RecordingSource(src)
    facts = network.collect(rec)
    assert isinstance(facts.openvpn, dict) and facts.openvpn["hma"].auth_stat == FileStat("file", "0600", 0, 0, 24)
    assert secret not in rec.files and rec.stats[secret].mode == "0600"
    assert all("password" not in str(v) for v in rec.files.values())


def test_an_ipv6_default_route_never_routes_ipv4() -> None:
    from hwcompat.parsers import ip_json
    from hwcompat.routing import ENETUNREACH, Fib, Query, route_packet

    routes = ip_json.parse_routes((REPO / "selftests/data/parsers/ip_route--mixed-families.txt").read_text())
    assert {r.family for r in routes if r.dst == "default"} == {"inet", "inet6"}
    main_rule = ip_json.parse_rules('[{"priority":32766,"src":"all","table":"main"}]')
    addrs = ip_json.parse_addrs('[{"ifname":"vA","addr_info":[{"family":"inet","local":"10.0.1.1","prefixlen":24}]}]')
    assert route_packet(Fib(main_rule, routes, True, {}, addrs=addrs),
                        Query("10.0.1.1", "8.8.8.8")).error == ENETUNREACH


# --- policy routing as the kernel does it: every selector, real listings, every iproute2 output form ---

CORPUS = REPO / "selftests/data/corpus"
WG = REPO / "snapshots/wg-quick-fulltunnel"
U1804 = REPO / "snapshots/ubuntu1804-gateway"


def _fib(rules: str, routes: str, addrs: str = '[{"ifname":"eth0","addr_info":[{"family":"inet","local":"192.168.1.2","prefixlen":24}]}]',
         forwarding: bool = True, **kw):
    from hwcompat.parsers import ip_json, ip_text
    from hwcompat.routing import Fib

    parse_rules = ip_json.parse_rules if rules.lstrip().startswith("[") else ip_text.parse_rules
    parse_routes = ip_json.parse_routes if routes.lstrip().startswith("[") else ip_text.parse_routes
    return Fib(parse_rules(rules), parse_routes(routes), forwarding, kw.pop("rp", {}), kw.pop("conf", {}), kw.pop("links", None),
               ip_json.parse_addrs(addrs), **kw)


@pytest.mark.parametrize(("folder", "name", "error"), [
    ("ip_rule_text", "yggdrasil-android-issue76--oxygenos-uidrange-diff-EXCERPT.txt", "expected 'PRIORITY: selector action'"),  # a diff, not output
    ("ip_rule_json", "iproute2-f5f8e969--json-tool-to_tbl-blackhole-fragment.txt", "not JSON"),  # a fragment
    ("ip_rule_json", "mihomo-rusttest--N-6-j-rule-v6-running.json.txt", "is not an IPv4 address"),  # ip -6 rule
    ("ip_route_json", "iproute2-issue37--ip-j-route-table-local-invalid-json.txt", "printed the route type without its key"),
])
def test_corpus_listings_that_are_not_ipv4_output_say_why(folder: str, name: str, error: str) -> None:
    from hwcompat.errors import ParseError
    from hwcompat.parsers import ip_json, ip_text

    parse = {"ip_rule_text": ip_text.parse_rules, "ip_rule_json": ip_json.parse_rules, "ip_route_json": ip_json.parse_routes}[folder]
    with pytest.raises(ParseError, match=error):
        parse((CORPUS / folder / name).read_text())


def _corpus(folder: str) -> list[Path]:
    skip = ("yggdrasil", "f5f8e969", "N-6-j", "issue37")
    return [p for p in sorted((CORPUS / folder).iterdir()) if not any(s in p.name for s in skip)]


@pytest.mark.parametrize("path", _corpus("ip_rule_text") + _corpus("ip_rule_json"), ids=lambda p: p.name)
def test_every_published_rule_listing_is_read_word_for_word(path: Path) -> None:
    from hwcompat.parsers import ip_json, ip_text

    rules = (ip_json.parse_rules if "json" in path.parent.name else ip_text.parse_rules)(path.read_text())
    assert rules and all(not r.unknown for r in rules)
    if "json" not in path.parent.name:
        # every word of every line is in a field (none dropped): the words of what was read make up the line
        for line, r in zip([x for x in path.read_text().splitlines() if x.strip()], rules, strict=True):
            words = set(line.partition(":")[2].split()) - {"from", "all", "to", "lookup", "not", "[l3mdev-table]", "[detached]"}
            kept = " ".join(str(v) for v in (r.src, r.srclen, r.dst, r.dstlen, r.iif, r.oif, r.fwmark, r.table, r.action, r.tos, r.dscp,
                                             r.uidrange, r.ipproto, r.sport, r.dport, r.suppress_prefixlen, r.suppress_ifgroup, r.goto,
                                             r.realms, r.protocol, r.flowlabel) if v is not None)
            named = {"fwmark", "iif", "oif", "tos", "dscp", "uidrange", "ipproto", "ip_proto", "sport", "dport", "suppress_prefixlength",
                     "suppress_ifgroup", "realms", "proto", "flowlabel", "goto"}
            assert all(w in named or w.split("/")[0] in kept or f"{int(w.split('/')[0], 16):#x}" in kept for w in words), (line, r)


@pytest.mark.parametrize("path", _corpus("ip_route_text") + _corpus("ip_route_json"), ids=lambda p: p.name)
def test_every_published_route_listing_is_read(path: Path) -> None:
    from hwcompat.parsers import ip_json, ip_text

    routes = (ip_json.parse_routes if "json" in path.parent.name else ip_text.parse_routes)(path.read_text())
    assert routes and all(not r.unknown for r in routes if r.family == "inet")


def test_what_old_iproute2_printed_is_read_as_meant() -> None:
    from hwcompat.parsers import ip_json, ip_text

    realms = ip_text.parse_rules((CORPUS / "ip_rule_text/iproute2-62de07fa--realms-old-bug-vs-fixed.txt").read_text())
    assert [(r.table, r.realms) for r in realms] == [("main", "15"), ("main", "1/15")]  # "lookup main 15": pre-5.1's realms 0/15
    frr = ip_text.parse_rules((CORPUS / "ip_rule_text/frr-issue15909--l3mdev-unreachable-local-32765.txt").read_text())
    assert (frr[1].l3mdev, frr[1].action, frr[1].table) == (True, "unreachable", None)
    mrt = ip_text.parse_rules((CORPUS / "ip_rule_text/iproute2-927632d4--type1-proto-double-space.txt").read_text())
    assert (mrt[0].table, mrt[0].protocol) == ("1", "mrt")
    fragment = (CORPUS / "ip_rule_json/iproute2-f5f8e969--json-tool-to_tbl-blackhole-fragment.txt").read_text()
    [to_tbl] = ip_json.parse_rules("[" + fragment.removeprefix("...\n").rstrip().rstrip(",") + "]")  # 4.17-5.0: "to_tbl"
    assert to_tbl.action == "blackhole"
    mihomo = ip_json.parse_rules((CORPUS / "ip_rule_json/mihomo-rusttest--N-j-rule-v4-leftover-iif_detached.json.txt").read_text())
    detached = next(r for r in mihomo if r.iif == "omash-tun")
    assert (detached.iif_detached, detached.action, detached.goto) == (True, "goto", 9010)
    assert [(r.not_, r.dport, r.suppress_prefixlen) for r in mihomo if r.dport] == [(True, "53", 0)]
    text_mask, json_mask = (ip_text.parse_rules((CORPUS / "ip_rule_text/iproute2-8503b02d--sport-dport-port-masks.txt").read_text())[2],
                            ip_json.parse_rules((CORPUS / "ip_rule_json/iproute2-8503b02d--j-p-sport-mask.json.txt").read_text())[0])
    assert text_mask.sport == json_mask.sport == "0x123/0xfff"


def test_route_text_keeps_ipv6_words_and_refuses_unknown_ipv4_ones() -> None:
    from hwcompat.errors import ParseError
    from hwcompat.parsers import ip_text

    routes = ip_text.parse_routes((CORPUS / "ip_route_text/insights--ip-route-show-table-all-ipv6-cache.txt").read_text())
    assert {r.family for r in routes if "error" in r.dst or r.table == "unspec"} <= {"inet6"}
    assert sum(r.family == "inet" for r in routes) == 19
    with pytest.raises(ParseError, match=r"line 2: unknown word 'frobnicate'"):
        ip_text.parse_routes("default via 10.0.0.1 dev eth0\n10.1.0.0/16 dev eth0 frobnicate 3\n")
    with pytest.raises(ParseError, match="unknown word 'encap'"):
        ip_text.parse_routes("10.1.0.0/16 encap mpls 100 via 10.0.0.1 dev eth0\n")
    assert ip_text.parse_routes("2001:db8::/64 dev eth0 frobnicate 3 pref medium\n")[0].family == "inet6"
    with pytest.raises(ParseError, match="line 2: unknown continuation"):
        ip_text.parse_routes("default via 10.0.0.1 dev eth0\n    frobnicate\n")
    multipath = ip_text.parse_routes("default proto static metric 100 \n\tnexthop via 10.0.0.1 dev eth0 weight 1 \n"
                                     "\tnexthop via 10.0.1.1  dev eth1 weight 2 linkdown \n")
    assert [(n.dev, n.gateway, n.weight, n.flags) for n in multipath[0].nexthops] == [
        ("eth0", "10.0.0.1", 1, ()), ("eth1", "10.0.1.1", 2, ("linkdown",))]


def test_wg_quick_full_tunnel_goes_through_wg0() -> None:
    # the false verdict: with suppress_prefixlength dropped, everything "left" through the main table's uplink
    from hwcompat.routing import Query, route_packet

    rules = (CORPUS / "ip_rule_text/bitthebullet--wg-quick-fulltunnel-ip-rule-show-all.txt").read_text()
    routes = "".join((CORPUS / f"ip_route_text/bitthebullet--wg-quick-fulltunnel-{t}.txt").read_text()
                     for t in ("table-main", "table-local-EXCERPT"))
    routes += "default dev wg0 table 51820 scope link\n"
    local = "\n".join(line.replace(" proto kernel", " table local proto kernel") for line in routes.splitlines()
                      if line.startswith(("local", "broadcast"))) + "\n"
    routes = "".join(line + "\n" for line in routes.splitlines() if not line.startswith(("local", "broadcast"))) + local
    fib = _fib(rules, routes, '[{"ifname":"wlp4s0","addr_info":[{"family":"inet","local":"192.168.178.48","prefixlen":24}]},'
                              '{"ifname":"wg0","addr_info":[{"family":"inet","local":"10.0.0.1","prefixlen":24}]}]')
    internet = route_packet(fib, Query("192.168.178.48", "1.1.1.1"))
    assert (internet.dev, internet.rule, internet.table) == ("wg0", 32765, "51820")
    assert route_packet(fib, Query("192.168.178.48", "1.1.1.1", mark=0xCA6C)).dev == "wlp4s0"  # WireGuard's own packets
    assert route_packet(fib, Query("192.168.178.48", "192.168.178.9")).describe().startswith("leaves through wlp4s0 (table main, rule 32764")
    assert route_packet(fib, Query("192.168.178.48", "1.1.1.1"), frozenset({"wg0"})).dev == "wlp4s0"  # the leak no_leak reports


def test_wg_quick_snapshot_json_says_what_the_published_text_says() -> None:
    from hwcompat.parsers import ip_json, ip_text

    json_rules = ip_json.parse_rules((WG / "cmd/ip_-j_rule_show").read_text())
    assert json_rules == ip_text.parse_rules((CORPUS / "ip_rule_text/bitthebullet--wg-quick-fulltunnel-ip-rule-show-all.txt").read_text())
    json_routes = ip_json.parse_routes((WG / "cmd/ip_-j_route_show_table_all").read_text())
    published = ip_text.parse_routes((CORPUS / "ip_route_text/ubuntu-server-docs--wg-quick-fulltunnel-main-table-no-default-via-wg.txt")
                                     .read_text() + "default dev wg0 table 51820 scope link \n")
    assert all(r in json_routes for r in published)


def test_wg_quick_host_passes_its_paths_and_fails_only_the_leak() -> None:
    msg = failed(WG, "hosts/wg-quick-fulltunnel")
    assert list(msg) == ["test_network_no_leak[internet]"]
    assert msg["test_network_no_leak[internet]"].startswith("leak: with wg0 gone, traffic from 192.168.122.160 to 1.1.1.1 leaves through "
                                                            "enp1s0 via 192.168.122.1 (table main, rule 32766")
    assert "add `ip route add unreachable default metric 4278198272 table 51820`" in msg["test_network_no_leak[internet]"]


def _rules_without(snap: Path, priority: int, change=None) -> None:
    path = snap / "cmd/ip_-j_rule_show"
    rules = [r for r in json.loads(path.read_text()) if change or r["priority"] != priority]
    for r in rules:
        if change and r["priority"] == priority:
            change(r)
    path.write_text(json.dumps(rules) + "\n")


@pytest.mark.parametrize(("mutate", "failing"), [
    # without the suppress rule, the LAN and the tunnel's subnet go into table 51820 too: the LAN path fails (and the rule item)
    (lambda s: _rules_without(s, 32764), {"test_network_rule[32764]", "test_network_path[to-lan]"}),
    # without "not", only WireGuard's own packets take the tunnel: everything else leaves through enp1s0, and the tunnel loops
    (lambda s: _rules_without(s, 32765, lambda r: r.pop("not")), {"test_network_path[to-internet]", "test_network_path[tunnel-itself]"}),
])
def test_wg_quick_mutation_fails_exactly_its_items(tmp_path: Path, mutate, failing: set[str]) -> None:
    snap = tmp_path / "wg"
    shutil.copytree(WG, snap)
    mutate(snap)
    assert set(failed(snap, "hosts/wg-quick-fulltunnel")) - {"test_network_no_leak[internet]"} == failing


def test_ubuntu_1804_text_under_json_is_read_as_text() -> None:
    facts = network.collect(SnapshotSource(U1804))
    assert facts.rules_from == "ip -j rule show (printed text: iproute2 4.14-4.16 have no JSON for this)"
    assert isinstance(facts.routes, tuple) and any(r.table == "10" and r.type == "unreachable" for r in facts.routes)
    res = evaluate(loader.load("hosts/ubuntu1804-gateway"), FactCache(SnapshotSource(U1804)))
    assert {r.outcome for item, r in res if "network" in item} == {"passed"}
    assert next(r for item, r in res if item == "test_network_rule[100]").source.startswith("ip -j rule show (printed text")


def test_ubuntu_1804_gateway_without_its_guard_leaks(tmp_path: Path) -> None:
    snap = tmp_path / "u"
    shutil.copytree(U1804, snap)
    path = snap / "cmd/ip_-j_route_show_table_all"
    path.write_text(path.read_text().replace("unreachable default table 10 metric 4278198272 \n", ""))
    assert failed(snap, "hosts/ubuntu1804-gateway") == {"test_network_no_leak[lan-internet]": (
        "leak: with tun0 gone, traffic from 192.168.56.20 arriving on enp0s8 to 8.8.8.8 leaves through enp0s3 via 10.0.2.2 (table main, "
        "rule 32766: default via 10.0.2.2 dev enp0s3); add `ip route add unreachable default metric 4278198272 table 10` "
        "(kept when the tunnel route goes)")}


def test_invalid_route_json_of_iproute2_417_is_read_from_the_text_command(gw: Path) -> None:
    from hwcompat.parsers import ip_json

    listing = (gw / "cmd/ip_-j_route_show_table_all").read_text()
    routes = ip_json.parse_routes(listing)
    # 4.17-4.20 printed {"local","dst":...}: invalid JSON (iproute2 issue #37); the text command is asked instead
    (gw / "cmd/ip_-j_route_show_table_all").write_text(listing.replace('{"type":"local",', '{"local",'))
    text = "".join(f"{'' if r.type == 'unicast' else r.type + ' '}{r.dst}{' via ' + r.gateway if r.gateway else ''}"
                   f"{' dev ' + r.dev if r.dev else ''}{' table ' + r.table if r.table != 'main' else ''}"
                   f"{' metric ' + str(r.metric) if r.metric else ''} \n" for r in routes)
    (gw / "cmd/ip_route_show_table_all").write_text(text)
    manifest = json.loads((gw / "manifest.json").read_text())
    manifest["commands"].append({"argv": ["ip", "route", "show", "table", "all"], "stdout": "cmd/ip_route_show_table_all", "exit": 0,
                                 "stderr": ""})
    (gw / "manifest.json").write_text(json.dumps(manifest))
    facts = network.collect(SnapshotSource(gw))
    assert facts.routes_from.startswith("ip route show table all (text; ip -j route show table all: not JSON: iproute2 4.17-4.20 printed")
    assert list(failed(gw)) == ["test_network_no_leak[vlan-internet]"]


@pytest.mark.parametrize(("rules", "words"), [
    # clash: "not from all dport 53 lookup main suppress_prefixlength 0" -- a packet whose ports the path leaves open
    ((CORPUS / "ip_rule_text/pandaychen--clash-tun-not-dport53-suppress-uidrange.txt").read_text(),
     "rule 9500 selects by dport, which the path leaves open; say proto: and dport: in the path"),
    ("0:\tfrom all lookup local\n50:\tfrom all uidrange 1000-2000 lookup 2\n32766:\tfrom all lookup main\n",
     "rule 50 selects by uidrange, which the path leaves open; say uid: in the path (the sender's uid)"),
    ("0:\tfrom all lookup local\n50:\tfrom all ipproto tcp lookup 2\n32766:\tfrom all lookup main\n",
     "rule 50 selects by ipproto, which the path leaves open; say proto: in the path"),
    ("0:\tfrom all lookup local\n50:\tfrom all tun_id 7 lookup 2\n32766:\tfrom all lookup main\n",
     "rule 50 selects by tun_id, which hwcompat does not model"),
    ("0:\tfrom all lookup local\n50:\tfrom all frobnicate 9 lookup 2\n32766:\tfrom all lookup main\n",
     "rule 50 has 'frobnicate 9 lookup 2', which hwcompat does not know"),
    ("0:\tfrom all lookup local\n50:\tfrom all lookup main suppress_ifgroup 5\n32766:\tfrom all lookup main\n",
     "rule 50 suppresses routes through device group 5, and the group of eth0 was not recorded"),
])
def test_what_a_path_leaves_open_is_named_not_guessed(rules: str, words: str) -> None:
    from hwcompat.routing import Query, route_packet

    fib = _fib(rules, "default via 192.168.1.254 dev eth0\n192.168.1.0/24 dev eth0 scope link\nlocal 192.168.1.2 dev eth0 table local\n")
    answer = route_packet(fib, Query("192.168.1.2", "8.8.8.8"))
    assert answer.unknown == words and answer.describe() == f"cannot evaluate: {words}"


def test_stating_what_was_open_decides_the_packet() -> None:
    from hwcompat.routing import Query, route_packet

    rules = (CORPUS / "ip_rule_text/pandaychen--clash-tun-not-dport53-suppress-uidrange.txt").read_text()
    fib = _fib(rules, "default via 192.168.1.254 dev eth0\n192.168.1.0/24 dev eth0 scope link\nlocal 192.168.1.2 dev eth0 table local\n"
                      "default dev utun table 1970566510\n")
    # DNS skips rule 9500 ("not ... dport 53"); 9510 "not iif lo" does not take this host's own packets; main's default
    assert route_packet(fib, Query("192.168.1.2", "8.8.8.8", proto=17, dport=53, sport=5000)).dev == "eth0"
    # the rest: 9500 looks in main but its default is suppressed; 9520/9530 want other sources; main's default again
    other = route_packet(fib, Query("192.168.1.2", "8.8.8.8", proto=6, dport=443, sport=5000))
    assert (other.dev, other.rule) == ("eth0", 32766)


def test_multipath_over_two_devices_depends_on_the_hash() -> None:
    from hwcompat.routing import Query, route_packet

    fib = _fib("0:\tfrom all lookup local\n32766:\tfrom all lookup main\n",
               "default proto static\n\tnexthop via 192.168.1.254 dev eth0 weight 1\n\tnexthop via 10.0.0.1 dev eth1 weight 1\n"
               "192.168.1.0/24 dev eth0\n10.0.0.0/24 dev eth1\nlocal 192.168.1.2 dev eth0 table local\n")
    answer = route_packet(fib, Query("192.168.1.2", "8.8.8.8"))
    assert answer.open and "spreads flows over eth0, eth1" in (answer.unknown or "")
    same = _fib("0:\tfrom all lookup local\n32766:\tfrom all lookup main\n",
                "default proto static\n\tnexthop via 192.168.1.253 dev eth0 weight 1\n\tnexthop via 192.168.1.254 dev eth0 weight 1\n"
                "192.168.1.0/24 dev eth0\nlocal 192.168.1.2 dev eth0 table local\n")
    assert route_packet(same, Query("192.168.1.2", "8.8.8.8")).dev == "eth0"


def test_a_live_answer_for_an_open_question_is_not_taken(gw: Path) -> None:
    from hwcompat.checks import network as checks
    from hwcompat.facts.network import RouteLookups
    from hwcompat.profile.model import NetExpectation
    from hwcompat.routing import Answer

    _rules_add = json.loads((gw / "cmd/ip_-j_rule_show").read_text())
    _rules_add.insert(1, {"priority": 150, "src": "192.168.6.1", "srclen": 24, "dport": 53, "table": "main"})
    (gw / "cmd/ip_-j_rule_show").write_text(json.dumps(_rules_add) + "\n")
    net = network.collect(SnapshotSource(gw))
    exp = NetExpectation("paths", "dns", (("from", "192.168.6.10"), ("iif", "br6"), ("to", "8.8.8.8"), ("leaves", "tun-hma")), None)
    kernel = RouteLookups({checks.query(exp): Answer(dev="tun-hma", table="3", route="kernel: ip -j route get ...")})
    result = checks.path(exp, net, kernel)
    assert result.outcome == "failed" and result.message == (
        "cannot check: from 192.168.6.10 arriving on br6 to 8.8.8.8: cannot evaluate: rule 150 selects by dport, which the path leaves "
        "open; say proto: and dport: in the path")
    stated = NetExpectation("paths", "dns", (*exp.spec, ("proto", "udp"), ("dport", 53), ("sport", 5353)), None)
    answer = checks.path(stated, net, RouteLookups({}))
    assert answer.outcome == "failed" and "leaves through eth0 via 192.168.1.254 (table main, rule 150" in answer.message


@pytest.mark.parametrize(("spec", "words"), [
    ("{from: 192.168.6.10, iif: br6, to: 8.8.8.8, uid: 1000, leaves: tun-hma}", "paths.p.uid: a forwarded packet (iif) always carries uid 0"),
    ("{from: 192.168.6.10, to: 8.8.8.8, proto: tpc, leaves: tun-hma}", "paths.p.proto: 'tpc' is not a protocol name"),
    ("{from: 192.168.6.10, to: 8.8.8.8, dport: 53, leaves: tun-hma}", "paths.p.dport: ports need proto:"),
    ("{from: 192.168.6.10, to: 8.8.8.8, dport: 70000, proto: udp, leaves: tun-hma}", "paths.p.dport: 70000 is out of range (0 to 65535)"),
])
def test_a_path_that_cannot_be_a_packet_is_a_profile_error(tmp_path: Path, spec: str, words: str) -> None:
    from hwcompat.errors import ProfileError

    path = tmp_path / "p.yaml"
    path.write_text(f"name: p\ndescription: d\nnetwork:\n  paths:\n    p: {spec}\n")
    with pytest.raises(ProfileError, match=re.escape(words)):
        loader.load(str(path))


def test_route_get_text_of_iproute2_415_is_read() -> None:
    from hwcompat.parsers import ip_text

    frr = (CORPUS / "iproute2_414_text_under_j/frr-pr12841--ip-j-route-prints-text-ubuntu1804.txt").read_text()
    line = next(x for x in frr.splitlines() if x.startswith("172.16.255.1"))
    assert (ip_text.parse_route_get(line + "\n").gateway, ip_text.parse_route_get(line + "\n").metric) == ("192.168.255.1", 20)
    local = ip_text.parse_route_get("local 192.168.6.1 from 192.168.6.10 dev lo table local \n    cache <local> iif br6 \n")
    assert (local.type, local.dev, local.table) == ("local", "lo", "local")
