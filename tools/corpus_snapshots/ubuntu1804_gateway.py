"""snapshots/ubuntu1804-gateway: an Ubuntu 18.04 VM that routes its host-only LAN out through OpenVPN.

Ubuntu 18.04 has iproute2 4.15: ``ip -d -j link`` and ``ip -j addr`` print JSON, but ``ip -j rule``
and ``ip -j route`` print their text form with exit 0 (JSON for rules and routes came in 4.17;
corpus iproute2_414_text_under_j/). So the rule and route listings here are text, recorded under
the ``-j`` commands, in 4.15's format (ip/iprule.c and ip/iproute.c at v4.15.0: every word
followed by a space, so lines end with one). Published (selftests/data/corpus, SOURCES.md): the
VM's main table, ``ip route`` on Ubuntu 18.04 (kellyjonbrazil/jc's fixture), copied byte for byte
with its lines in place; the OpenVPN client's routes follow the Ubuntu server docs' shape. What
was filled in is in the snapshot's README.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from make_corpus_snapshots import corpus, write

MAIN = "ip_route_text/jc-ubuntu1804--ip-route.txt"


def _j(data: object) -> str:
    return json.dumps(data, separators=(",", ":")) + "\n"


def build(out: Path) -> None:
    """Write the snapshot."""
    links = [
        {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "mtu": 65536, "qdisc": "noqueue", "operstate": "UNKNOWN",
         "group": "default", "link_type": "loopback", "address": "00:00:00:00:00:00", "broadcast": "00:00:00:00:00:00"},
        {"ifindex": 2, "ifname": "enp0s3", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500, "qdisc": "fq_codel",
         "operstate": "UP", "group": "default", "link_type": "ether", "address": "08:00:27:4a:e1:5b", "broadcast": "ff:ff:ff:ff:ff:ff"},
        {"ifindex": 3, "ifname": "enp0s8", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500, "qdisc": "fq_codel",
         "operstate": "UP", "group": "default", "link_type": "ether", "address": "08:00:27:c3:07:9e", "broadcast": "ff:ff:ff:ff:ff:ff"},
        {"ifindex": 4, "ifname": "docker0", "flags": ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"], "mtu": 1500, "qdisc": "noqueue",
         "operstate": "DOWN", "group": "default", "link_type": "ether", "address": "02:42:5c:9d:1e:3a", "broadcast": "ff:ff:ff:ff:ff:ff",
         "linkinfo": {"info_kind": "bridge", "info_data": {"stp_state": 0}}},
        {"ifindex": 5, "ifname": "tun0", "flags": ["POINTOPOINT", "MULTICAST", "NOARP", "UP", "LOWER_UP"], "mtu": 1500,
         "qdisc": "fq_codel", "operstate": "UNKNOWN", "group": "default", "link_type": "none",
         "linkinfo": {"info_kind": "tun", "info_data": {"type": "tun", "pi": False, "vnet_hdr": False, "multi_queue": False,
                                                        "persist": False}}},
    ]

    def addr(index: int, name: str, local: str, plen: int, peer: str | None = None) -> dict[str, object]:
        info: dict[str, object] = {"family": "inet", "local": local, "prefixlen": plen, "scope": "global", "label": name}
        if peer:
            info["address"] = peer
        return {"ifindex": index, "ifname": name, "addr_info": [info]}
    addrs = [addr(1, "lo", "127.0.0.1", 8), addr(2, "enp0s3", "10.0.2.15", 24), addr(3, "enp0s8", "192.168.56.1", 24),
             addr(4, "docker0", "172.17.0.1", 16), addr(5, "tun0", "10.8.0.6", 32, "10.8.0.5")]
    # iproute2 4.15 print_rule: "from all lookup local " -- a space after every word
    rules = "0:\tfrom all lookup local \n100:\tfrom 192.168.56.0/24 lookup 10 \n32766:\tfrom all lookup main \n32767:\tfrom all lookup default \n"
    main = corpus(MAIN)
    routes = main + ("" if main.endswith("\n") else "\n")  # the fixture lacks the final newline ip prints
    routes += ("10.8.0.1 via 10.8.0.5 dev tun0 \n10.8.0.5 dev tun0 proto kernel scope link src 10.8.0.6 \n"
               "192.168.56.0/24 dev enp0s8 proto kernel scope link src 192.168.56.1 \n"
               "default dev tun0 table 10 scope link \nunreachable default table 10 metric 4278198272 \n")
    for dev, local, net, bcast in (("enp0s3", "10.0.2.15", "10.0.2.0", "10.0.2.255"), ("enp0s8", "192.168.56.1", "192.168.56.0", "192.168.56.255"),
                                   ("docker0", "172.17.0.1", "172.17.0.0", "172.17.255.255")):
        routes += (f"broadcast {net} dev {dev} table local proto kernel scope link src {local} \n"
                   f"local {local} dev {dev} table local proto kernel scope host src {local} \n"
                   f"broadcast {bcast} dev {dev} table local proto kernel scope link src {local} \n")
    routes += ("local 10.8.0.6 dev tun0 table local proto kernel scope host src 10.8.0.6 \n"
               "broadcast 127.0.0.0 dev lo table local proto kernel scope link src 127.0.0.1 \n"
               "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 \n"
               "local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 \n"
               "broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1 \n"
               # IPv6 lines as 4.15 prints them for 'table all'
               "::1 dev lo proto kernel metric 256 pref medium\n"
               "fe80::/64 dev enp0s3 proto kernel metric 256 pref medium\n"
               "fe80::/64 dev enp0s8 proto kernel metric 256 pref medium\n"
               "local ::1 dev lo table local proto kernel metric 0 pref medium\n"
               "local fe80::a00:27ff:fe4a:e15b dev enp0s3 table local proto kernel metric 0 pref medium\n"
               "ff00::/8 dev enp0s3 table local metric 256 pref medium\n"
               "ff00::/8 dev enp0s8 table local metric 256 pref medium\n")
    files = {"/proc/sys/kernel/hostname": "ubuntu1804\n", "/proc/sys/kernel/osrelease": "4.15.0-112-generic\n",
             "/proc/sys/net/ipv4/ip_forward": "1\n",
             "/etc/iproute2/rt_tables": "#\n# reserved values\n#\n255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n#\n# local\n#\n#1\tinr.ruhep\n"}
    for dev in ("all", "default", "lo", "enp0s3", "enp0s8", "docker0", "tun0"):
        # Ubuntu 18.04's /etc/sysctl.d/10-network-security.conf: rp_filter 1 (strict)
        values = {"rp_filter": 1, "forwarding": 1, "src_valid_mark": 0, "accept_local": 0, "route_localnet": 0, "ignore_routes_with_linkdown": 0}
        files.update({f"/proc/sys/net/ipv4/conf/{dev}/{key}": f"{value}\n" for key, value in values.items()})
    commands: list[tuple[list[str], str | None, int, str]] = [
        (["ip", "-d", "-j", "link", "show"], _j(links), 0, ""), (["ip", "-j", "addr", "show"], _j(addrs), 0, ""),
        (["ip", "-j", "rule", "show"], rules, 0, ""), (["ip", "-j", "route", "show", "table", "all"], routes, 0, ""),
    ]
    write(out, files, commands, ["/proc/sys/kernel", "/proc/sys/net/ipv4", "/etc/iproute2", "/etc/openvpn"], "ubuntu1804")
