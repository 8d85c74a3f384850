"""Network: the seed gateway fails exactly the leak (with the fix), the fixed one passes; old
iproute2 text, every NAT backend, non-root and missing tools; OpenVPN credentials are never read."""

from __future__ import annotations

import json
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
        "leak: with tun-hma gone, traffic from 192.168.6.10 to 8.8.8.8 leaves through eth0 via 192.168.1.254 "
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
     "test_network_route[3/default]", "missing: no route to default in table 3 (table 3: empty)"),
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
    from hwcompat.routing import ENETUNREACH, Query, route_packet

    routes = ip_json.parse_routes((REPO / "selftests/data/parsers/ip_route--mixed-families.txt").read_text())
    assert {r.family for r in routes if r.dst == "default"} == {"inet", "inet6"}
    main_rule = ip_json.parse_rules('[{"priority":32766,"src":"all","table":"main"}]')
    assert route_packet(main_rule, routes, Query("10.0.1.1", "8.8.8.8"), True, {}).error == ENETUNREACH
