"""Live: this machine's ``ip`` text and ``ip -j`` JSON of one test namespace read into the same records.

The namespace gets every link kind the kernel offers from a list (vlan, bond, dummy, gre and the
like are often missing as modules; bridge, veth and tun are required), one veth end in a second
namespace (``@ifN`` with ``link-netns``), a tun with a peer address. The recorded comparison with
iproute2 3.10-4.13 is selftests/test_ip_link_text.py; this one follows the installed iproute2.
"""

from __future__ import annotations

import shutil

import pytest

from hwcompat.parsers import ip_json
from hwcompat.parsers.ip_link_text import parse_addrs, parse_links
from selftests.live import netns

REASON = netns.why_not()
pytestmark = [pytest.mark.live, pytest.mark.skipif(bool(REASON), reason=REASON or "ok")]

BUILD = [
    "link set lo up",
    "link add eth0 type veth peer name eth0p", "link set eth0 up", "link set eth0p up",
    "addr add 192.168.1.2/24 brd 192.168.1.255 dev eth0", "addr add 192.168.1.3/24 dev eth0",
    "link add br6 type bridge", "link add port6 type veth peer name port6p", "link set port6 master br6",
    "link set port6 up", "link set port6p up", "link set br6 up", "addr add 192.168.6.1/24 dev br6",
    "tuntap add dev tun-hma mode tun", "link set tun-hma up", "addr add 10.200.0.6 peer 10.200.0.5 dev tun-hma",
]
# optional kinds, one command each (ip exits on some errors even under -force -batch)
OPTIONAL = [
    "link add link eth0 name eth0.6 type vlan id 6", "link add link eth0 name eth0.7 type vlan id 7 ingress-qos-map 1:2",
    "link set eth0.7 master br6", "link add bond0 type bond", "link add d0 type dummy", "link set d0 master bond0",
    "link add gre1 type gre remote 10.0.0.2 local 10.0.0.1", "link add vx42 type vxlan id 42 dstport 4789 dev eth0",
    "link add mv0 link eth0 type macvlan mode bridge", "link add ifb0 type ifb", "link set eth0 alias uplink",
]


def test_text_and_json_of_one_namespace_give_the_same_records() -> None:
    with netns.namespace("iplt") as ns, netns.namespace("iplt-peer") as peer:
        netns.batch(ns, BUILD)
        for command in OPTIONAL:
            netns.run(ns, "ip", *command.split(), check=False)
        netns.run(ns, "ip", "link", "add", "vethx", "type", "veth", "peer", "name", "vethy", "netns", peer)
        text_links = parse_links(netns.run(ns, "ip", "-d", "link", "show").stdout)
        json_links = ip_json.parse_links(netns.run(ns, "ip", "-d", "-j", "link", "show").stdout)
        text_addrs = parse_addrs(netns.run(ns, "ip", "addr", "show").stdout)
        json_addrs = ip_json.parse_addrs(netns.run(ns, "ip", "-j", "addr", "show").stdout)
    assert text_links == json_links
    assert text_addrs == json_addrs
    kinds = {link.ifname: link.kind for link in json_links}
    assert (kinds["br6"], kinds["port6"], kinds["tun-hma"]) == ("bridge", "veth", "tun")
    assert next(link for link in json_links if link.ifname == "vethx").parent is None


@pytest.mark.skipif(shutil.which("ip") is None, reason="iproute2 (ip) is not installed")
def test_json_is_what_this_iproute2_prints() -> None:
    # the text fallback is for iproute2 < 4.14; this one must still answer -j (facts read JSON first)
    with netns.namespace("iplt-j") as ns:
        out = netns.run(ns, "ip", "-d", "-j", "link", "show", check=False)
    assert out.returncode == 0 and out.stdout.lstrip().startswith("[")
