"""ip_link_text: old iproute2's text ``ip -d link show`` / ``ip addr show`` read into ip_json's records.

The ground truth is iproute2 itself: text printed by iproute2 3.10-4.13 built from their tags and
the JSON of iproute2 6.1 for the same namespace (selftests/data/iproute2_old/README.md), then the
published outputs in selftests/data/corpus/ip_link_text and ip_addr_text.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwcompat.errors import ParseError
from hwcompat.parsers import ip_json
from hwcompat.parsers.ip_json import IpAddr, IpLink
from hwcompat.parsers.ip_link_text import parse_addrs, parse_links

DATA = Path(__file__).parent / "data"
OLD = DATA / "iproute2_old"
CORPUS = DATA / "corpus"

# what the old text cannot say (measured; the module docstring explains each)
NO_SLAVE_KIND_LINE = {"port6": {"slave_kind": None}}  # iproute2 < 3.14
NO_NETNSID = {"vethx": {"parent": "eth0p"}}  # iproute2 < 4.0 resolves the other namespace's index locally
NO_GROUP = {"*": {"group": None}}  # iproute2 3.10 prints no device group


@pytest.mark.parametrize(("version", "differences"), [
    ("3.10", NO_SLAVE_KIND_LINE | NO_NETNSID | NO_GROUP),
    ("3.16", NO_NETNSID),
    ("4.9", {}),
    ("4.13-s-s", {}),
])
def test_old_link_text_gives_the_json_records_of_the_same_namespace(version: str, differences: dict[str, dict[str, object]]) -> None:
    text = (DATA / "parsers" / f"ip_link_text--netns-iproute2-{version}.txt").read_text()
    oracle = ip_json.parse_links((OLD / "netns--ip-d-j-link-show--6.1.json").read_text())
    expected = [dataclasses.replace(link, **differences.get("*", {}), **differences.get(link.ifname, {})) for link in oracle]
    assert parse_links(text) == expected
    assert {link.kind for link in expected} >= {"veth", "bridge", "tun", "macvlan", "vxlan", "ifb", "macvtap"}


@pytest.mark.parametrize("version", ["3.10", "3.16", "4.13-d"])
def test_old_addr_text_gives_the_json_records_of_the_same_namespace(version: str) -> None:
    text = (DATA / "parsers" / f"ip_addr_text--netns-iproute2-{version}.txt").read_text()
    oracle = ip_json.parse_addrs((OLD / "netns--ip-j-addr-show--6.1.json").read_text())
    assert parse_addrs(text) == oracle
    assert IpAddr("tun-hma", "inet", "10.200.0.6", 32, "10.200.0.5") in oracle


@pytest.mark.parametrize(("parse", "name"), [
    (parse_links, "netns--ip-o-link-show--3.16.txt"),
    (parse_addrs, "netns--ip-o-addr-show--3.16.txt"),
])
def test_the_one_line_form_is_refused_on_its_first_line(parse, name: str) -> None:
    with pytest.raises(ParseError, match=r"one-line output \(ip -o") as info:
        parse((OLD / name).read_text())
    assert info.value.line_no == 1


def test_ip_link_show_without_details_is_refused_not_read_as_kindless() -> None:
    with pytest.raises(ParseError, match="not `ip -d link show`") as info:
        parse_links((OLD / "netns--ip-link-show--3.16.txt").read_text())
    assert info.value.line_no == 1


# every published sample parses, or is refused on this line (SOURCES.md says why)
REFUSED = {
    "fusioninventory-issue640--ip-o-link-bond-vlans-EXCERPT.txt": 1,  # -o
    "insights--ip-s-link-no-d-ppp-tun-virbr.txt": 1,  # no -d
    "ganeti--ip-addr-show-lo-oneline.txt": 1,  # -o
    "ganeti--ip-addr-show-lo-oneline-ipv4.txt": 1,  # -o
    "ganeti--ip-addr-show-lo-oneline-ipv6.txt": 1,  # -o
    "i3blocks-pr189--nm-openvpn-tun0-peer-brd-noprefixroute.txt": 3,  # addresses anonymised as xx.xx.xx.xx
    "insights--ip-addr-peer-ipip-truncated.txt": 1,  # 'Message truncated' noise
    "ohai--ip-addr-colon-in-name-hand-assembled.txt": 40,  # '7: foo:veth0@eth0@veth0:', no kernel allows ':'
    "361way--centos7-ip-add-show-flags-stripped-by-html.txt": 1,  # <FLAGS> eaten by the web page
}
SAMPLES = sorted((CORPUS / "ip_link_text").iterdir()) + sorted((CORPUS / "ip_addr_text").iterdir())


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_published_sample_parses_or_is_refused_on_a_named_line(path: Path) -> None:
    parse = parse_links if path.parent.name == "ip_link_text" else parse_addrs
    try:
        records = parse(path.read_text())
    except ParseError as err:
        assert REFUSED.get(path.name) == err.line_no, str(err)
        assert err.line == path.read_text().splitlines()[err.line_no - 1]
        return
    assert path.name not in REFUSED
    assert records


def _links(name: str) -> dict[str, IpLink]:
    return {link.ifname: link for link in parse_links((CORPUS / "ip_link_text" / name).read_text())}


def test_published_link_samples_give_kinds_parents_and_masters() -> None:
    ohai = _links("ohai--ip-d-s-link-old-vlan-id-ovs-ip6tnl.txt")
    assert (ohai["eth0.11"].kind, ohai["eth0.11"].vlan_id, ohai["eth0.11"].parent) == ("vlan", 11, "eth0")
    assert (ohai["ip6tnl0"].kind, ohai["ip6tnl0"].parent) == ("ip6tnl", None)
    rhel7 = _links("insights--ip-s-d-link-rhel7-bond-gre-geneve-vxlan-ovs.txt")
    assert (rhel7["eth0_1"].kind, rhel7["eth0_1"].slave_kind, rhel7["eth0_1"].master) == (None, "bond", "bond0")
    assert (rhel7["vxlan_sys_4789"].kind, rhel7["vxlan_sys_4789"].slave_kind) == ("vxlan", "openvswitch")
    assert (rhel7["gre0"].kind, rhel7["gre0"].parent, rhel7["gre1"].operstate) == ("gre", None, "UNKNOWN")
    team = _links("insights--ip-s-d-link-team-bridge_slave.txt")["tm0"]
    assert (team.kind, team.slave_kind, team.master) == ("team", "bridge", "br0")
    assert _links("tun-demo--ip-d-link-show-tap0-old-tun-kind.txt")["tap0"].kind == "tun"


def test_published_addr_samples_give_peers_and_prefixes() -> None:
    tun = parse_addrs((CORPUS / "ip_addr_text" / "ubuntu-server-docs--openvpn-client-tun0-peer.txt").read_text())
    assert tun[0] == IpAddr("tun0", "inet", "10.8.0.6", 32, "10.8.0.5")
    pod = parse_addrs((CORPUS / "ip_addr_text" / "calicoctl-issue1010--busybox-ip-addr-tunl0-eth0-at-if32.txt").read_text())
    assert IpAddr("eth0", "inet", "192.168.255.200", 32, None) in pod


VLAN_WITH_QOS_MAPS = """\
7: eth0.7@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br7 state UP mode DEFAULT group default qlen 1000
    link/ether d2:e3:c7:d0:c9:a7 brd ff:ff:ff:ff:ff:ff promiscuity 1
    vlan protocol 802.1Q id 7 <REORDER_HDR>
      ingress-qos-map { 1:2 }
      egress-qos-map { 2:3 }
    bridge_slave state forwarding priority 32 cost 4 addrgenmode eui64
    alias uplink
"""


def test_lines_indented_deeper_belong_to_the_kind_line() -> None:
    # iplink_vlan.c vlan_print_map: "\n      %s { " -- the bridge_slave line still follows
    assert parse_links(VLAN_WITH_QOS_MAPS) == [
        IpLink("eth0.7", "vlan", "bridge", "br7", "eth0", 7, ("BROADCAST", "MULTICAST", "UP", "LOWER_UP"), "UP", "default")]


@pytest.mark.parametrize(("header", "link_line", "parent"), [
    ("5: gre0@NONE: <NOARP> mtu 1476 qdisc noop state DOWN", "    link/gre 0.0.0.0 brd 0.0.0.0 promiscuity 0", None),
    ("9: veth1@if8: <UP> mtu 1500 state UP", "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 0", None),
    ("9: veth1@if8: <UP> mtu 1500 state UP", "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netns ns1 promiscuity 0", None),
    ("9: veth1@if8: <UP> mtu 1500 state UP", "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff promiscuity 0", "if8"),
    ("9: a@b@eth0: <UP> mtu 1500 state 0x7", "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff promiscuity 0", "eth0"),
])
def test_parents_as_json_gives_them(header: str, link_line: str, parent: str | None) -> None:
    [link] = parse_links(f"{header}\n{link_line}\n")
    assert link.parent == parent
    assert link.operstate in ("DOWN", "UP", "UNKNOWN")


def test_address_lines_as_json_gives_them() -> None:
    text = ("3: eth0: <UP> mtu 1500 qdisc mq state UP\n    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff\n"
            "    inet 10.0.0.1/24 brd 10.0.0.255 scope global dynamic eth0\n       valid_lft 86000sec preferred_lft 86000sec\n"
            "    inet 10.0.0.9 peer 10.0.0.10/31 scope global eth0:1\n    inet scope global eth0\n"
            "    inet6 2001:db8::1 peer 2001:db8::2/128 scope global\n    family 17 1.2/16 scope global\n")
    assert parse_addrs(text) == [IpAddr("eth0", "inet", "10.0.0.1", 24, None), IpAddr("eth0", "inet", "10.0.0.9", 31, "10.0.0.10"),
                                 IpAddr("eth0", "inet6", "2001:db8::1", 128, "2001:db8::2"), IpAddr("eth0", "", "1.2", 16, None)]


LINK_OK = "1: lo: <LOOPBACK,UP> mtu 65536 qdisc noqueue state UNKNOWN\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0\n"


@pytest.mark.parametrize(("parse", "text", "line_no", "reason"), [
    (parse_links, "1: lo: mtu 65536 qdisc noqueue\n", 1, "expected an interface header"),
    (parse_links, "    link/loopback 00:00:00:00:00:00\n", 1, "before the first"),
    (parse_links, LINK_OK + "2: eth0:1: <UP> mtu 1500\n", 3, "expected an interface header"),
    (parse_links, LINK_OK + "2: eth0: <UP> mtu 1500\n\tlink/ether 00:11:22:33:44:55 promiscuity 0\n", 4, "expected '    link/TYPE"),
    (parse_links, LINK_OK + "2: eth0: <UP> mtu 1500\n", 3, "expected '    link/TYPE"),
    (parse_links, LINK_OK + "2: eth0@: <UP> mtu 1500\n    link/ether 00:11:22:33:44:55\n", 3, "is not NAME or NAME@PARENT"),
    (parse_links, LINK_OK + "3: e.6@e: <UP> mtu 1500\n    link/ether 0 promiscuity 0\n    vlan protocol 802.1Q id six\n", 5, "vlan id 'six'"),
    (parse_addrs, "1: lo: <UP> mtu 1500\n    inet 127.0.0.1 scope host lo\n", 2, "ADDRESS/PREFIXLEN"),
    (parse_addrs, "1: lo: <UP> mtu 1500\n    inet 300.0.0.1/8 scope host lo\n", 2, "is not an inet address"),
    (parse_addrs, "1: lo: <UP> mtu 1500\n    inet 10.0.0.1/33 scope host lo\n", 2, "prefix length '33'"),
    (parse_addrs, "1: lo: <UP> mtu 1500\n    inet6 fe80::1 peer fe80::zz/64 scope link\n", 2, "is not an inet6 address"),
    (parse_addrs, "1: lo    inet 127.0.0.1/8 scope host lo\n", 1, "one-line output"),
])
def test_bad_input_names_its_line(parse, text: str, line_no: int, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as info:
        parse(text)
    assert info.value.line_no == line_no
    assert info.value.line == text.splitlines()[line_no - 1]


# --- properties -------------------------------------------------------------------------------

NAMES = st.from_regex(r"[a-z][a-z0-9_.-]{0,9}", fullmatch=True)
FLAGS = st.lists(st.sampled_from(["BROADCAST", "MULTICAST", "POINTOPOINT", "NOARP", "SLAVE", "MASTER", "UP", "LOWER_UP", "M-DOWN"]),
                 unique=True, min_size=1)
KINDS = st.sampled_from([None, "vlan", "bridge", "bond", "veth", "tun", "vxlan", "gre", "dummy", "team", "openvswitch", "macvlan", "vrf"])


@st.composite
def links(draw: st.DrawFn) -> IpLink:
    kind = draw(KINDS)
    parent = draw(st.one_of(st.none(), NAMES)) if kind in ("vlan", "veth", "macvlan", None) else None
    return IpLink(draw(NAMES), kind, draw(st.sampled_from([None, "bridge", "bond", "openvswitch"])), draw(st.one_of(st.none(), NAMES)),
                  parent, draw(st.integers(0, 4094)) if kind == "vlan" else None, tuple(draw(FLAGS)),
                  draw(st.sampled_from(["UP", "DOWN", "UNKNOWN", "LOWERLAYERDOWN", "DORMANT"])), draw(st.sampled_from(["default", "7"])),
                  draw(st.integers(1, 2**31)) if kind == "vrf" else None)


def render(index: int, link: IpLink, stats: bool) -> str:
    """One link as print_linkinfo/print_linktype of iproute2 4.13 print it with -d (and -s)."""
    at = f"@{link.parent}" if link.parent else ""
    master = f"master {link.master} " if link.master else ""
    out = [f"{index}: {link.ifname}{at}: <{','.join(link.flags)}> mtu 1500 qdisc noqueue {master}state {link.operstate} "
           f"mode DEFAULT group {link.group} qlen 1000",
           "    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff promiscuity 0 "]
    if link.kind == "vlan":
        out.append(f"    vlan protocol 802.1Q id {link.vlan_id} <REORDER_HDR> ")
    elif link.kind == "vrf":
        out.append(f"    vrf table {link.vrf_table} addrgenmode eui64 ")  # iplink_vrf.c vrf_print_opt
    elif link.kind:
        out.append(f"    {link.kind} addrgenmode eui64 numtxqueues 1 ")
    if link.slave_kind:
        out.append(f"    {link.slave_kind}_slave state forwarding priority 32 ")
    if stats:
        out += ["    RX: bytes  packets  errors  dropped overrun mcast   ", "    0          0        0       0       0       0       "]
    return "\n".join(out)


@given(found=st.lists(links(), max_size=6), stats=st.booleans())
def test_rendered_links_read_back_as_the_same_records(found: list[IpLink], stats: bool) -> None:
    text = "\n".join(render(i + 1, link, stats) for i, link in enumerate(found)) + "\n"
    assert parse_links(text) == found


@given(local=st.ip_addresses(v=4), peer=st.one_of(st.none(), st.ip_addresses(v=4)), plen=st.integers(0, 32), name=NAMES)
def test_rendered_addresses_read_back_as_the_same_records(local, peer, plen: int, name: str) -> None:
    shown = f"{local} peer {peer}/{plen}" if peer else f"{local}/{plen}"
    text = f"2: {name}: <UP> mtu 1500 qdisc mq state UP\n    link/ether 00:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff\n" \
           f"    inet {shown} brd 10.255.255.255 scope global {name}\n       valid_lft forever preferred_lft forever\n"
    assert parse_addrs(text) == [IpAddr(name, "inet", str(local), plen, str(peer) if peer else None)]


WORDS = st.sampled_from(["1:", "lo:", "eth0@NONE:", "<UP,LOWER_UP>", "<>", "mtu", "1500", "state", "UP", "master", "link/ether",
                         "promiscuity", "0", "vlan", "id", "6", "bridge_slave", "inet", "inet6", "peer", "10.0.0.1/24", "::1/128",
                         "10.0.0.1", "/", "@", "\\", "family", "link-netnsid", "scope", "brd", "valid_lft", "\t", "RX:"])
LINES = st.tuples(st.sampled_from(["", "    ", "      ", "\t", " "]), st.lists(st.one_of(WORDS, st.text(max_size=5)), max_size=8))


@given(lines=st.lists(LINES, max_size=12))
def test_both_parsers_are_total_on_near_iproute2_text(lines: list[tuple[str, list[str]]]) -> None:
    text = "\n".join(indent + " ".join(words) for indent, words in lines)
    for parse in (parse_links, parse_addrs):
        try:
            parse(text)
        except ParseError:
            pass
