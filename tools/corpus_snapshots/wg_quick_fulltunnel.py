"""snapshots/wg-quick-fulltunnel: the Ubuntu server docs' WireGuard laptop with wg-quick's full tunnel up.

Published (selftests/data/corpus, SOURCES.md): its main table ('ip route', Ubuntu server docs,
"Using the VPN as the default gateway"), the rule listing wg-quick leaves on such a host
(bitthebullet.com, same wg-quick commands: fwmark 51820, table 51820) and wg-quick's table 51820
as ``ip route list table all`` shows it (easy-wg-quick issue #48). This host's iproute2 (Ubuntu
22.04, 5.15) prints JSON, so the published lines are written here as the JSON ``ip -j`` prints
for them, word by word (``via`` -> gateway, ``proto`` -> protocol, ``src`` -> prefsrc); the
self-tests check that hwcompat reads the JSON and the published text alike. What was filled in is
in the snapshot's README.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from make_corpus_snapshots import corpus, write

MAIN = "ip_route_text/ubuntu-server-docs--wg-quick-fulltunnel-main-table-no-default-via-wg.txt"
RULES = "ip_rule_text/bitthebullet--wg-quick-fulltunnel-ip-rule-show-all.txt"
TABLE_51820 = "ip_route_text/easy-wg-quick-issue48--route-list-default-table-all-wg0-51820.txt"
_KEYS = {"via": "gateway", "dev": "dev", "table": "table", "proto": "protocol", "scope": "scope", "src": "prefsrc", "metric": "metric"}
_TYPES = ("local", "broadcast", "unreachable", "blackhole", "prohibit", "throw")


def _j(data: object) -> str:
    return json.dumps(data, separators=(",", ":")) + "\n"


def route_json(line: str) -> dict[str, object]:
    """One ``ip route`` text line as ``ip -j route`` prints it (iproute2 5.x key order)."""
    words = line.split()
    route: dict[str, object] = {}
    if words[0] in _TYPES:
        route["type"] = words.pop(0)
    route["dst"] = words.pop(0)
    pairs = dict(zip(words[::2], words[1::2], strict=True))
    for word, key in _KEYS.items():
        if word in pairs:
            route[key] = int(pairs[word]) if key == "metric" else pairs[word]
    route["flags"] = []
    return route


def rule_json(line: str) -> dict[str, object]:
    """One ``ip rule`` text line of the wg-quick listing as ``ip -j rule`` prints it."""
    prio, _, rest = line.partition(":")
    words = rest.split()
    rule: dict[str, object] = {"priority": int(prio)}
    if words[0] == "not":
        rule["not"] = None
        words.pop(0)
    pairs = dict(zip(words[::2], words[1::2], strict=True))
    rule["src"] = pairs["from"]
    if "fwmark" in pairs:
        rule["fwmark"] = pairs["fwmark"]
    rule["table"] = pairs["lookup"]
    if "suppress_prefixlength" in pairs:
        rule["suppress_prefixlen"] = int(pairs["suppress_prefixlength"])
    return rule


def build(out: Path) -> None:
    """Write the snapshot."""
    me, wg = "192.168.122.160", "10.90.90.1"
    links = [
        {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "mtu": 65536, "operstate": "UNKNOWN", "group": "default",
         "link_type": "loopback"},
        {"ifindex": 2, "ifname": "enp1s0", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500, "operstate": "UP",
         "group": "default", "link_type": "ether", "address": "52:54:00:5b:1c:0e"},
        {"ifindex": 3, "ifname": "wg0", "flags": ["POINTOPOINT", "NOARP", "UP", "LOWER_UP"], "mtu": 1420, "operstate": "UNKNOWN",
         "group": "default", "link_type": "none", "linkinfo": {"info_kind": "wireguard"}},
    ]
    addrs = [{"ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host", "label": "lo"}]},
             {"ifname": "enp1s0", "addr_info": [{"family": "inet", "local": me, "prefixlen": 24, "broadcast": "192.168.122.255",
                                                 "scope": "global", "dynamic": True, "label": "enp1s0"}]},
             {"ifname": "wg0", "addr_info": [{"family": "inet", "local": wg, "prefixlen": 24, "scope": "global", "label": "wg0"}]}]
    rules = [rule_json(line) for line in corpus(RULES).splitlines()]
    # wg-quick's table: the line of the published 'table all' listing that names it
    routes = [route_json(line) for line in corpus(TABLE_51820).splitlines() if "table 51820" in line]
    routes += [route_json(line) for line in corpus(MAIN).splitlines()]
    # filled in: the local table the kernel makes for these addresses (as on the bitthebullet host)
    local = [f"broadcast 10.90.90.0 dev wg0 table local proto kernel scope link src {wg}",
             f"local {wg} dev wg0 table local proto kernel scope host src {wg}",
             f"broadcast 10.90.90.255 dev wg0 table local proto kernel scope link src {wg}",
             "broadcast 127.0.0.0 dev lo table local proto kernel scope link src 127.0.0.1",
             "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1",
             "local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1",
             "broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1",
             f"broadcast 192.168.122.0 dev enp1s0 table local proto kernel scope link src {me}",
             f"local {me} dev enp1s0 table local proto kernel scope host src {me}",
             f"broadcast 192.168.122.255 dev enp1s0 table local proto kernel scope link src {me}"]
    routes += [route_json(line) for line in local]
    files = {"/proc/sys/kernel/hostname": "laptop\n", "/proc/sys/kernel/osrelease": "5.15.0-46-generic\n",
             "/proc/sys/net/ipv4/ip_forward": "0\n",
             "/etc/iproute2/rt_tables": "#\n# reserved values\n#\n255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n#\n# local\n#\n#1\tinr.ruhep\n"}
    for dev in ("all", "default", "lo", "enp1s0", "wg0"):
        # Ubuntu's 10-network-security.conf: rp_filter 2; wg-quick: net.ipv4.conf.all.src_valid_mark=1
        values = {"rp_filter": 2, "forwarding": 0, "src_valid_mark": 1 if dev == "all" else 0, "accept_local": 0, "route_localnet": 0,
                  "ignore_routes_with_linkdown": 0}
        files.update({f"/proc/sys/net/ipv4/conf/{dev}/{key}": f"{value}\n" for key, value in values.items()})
    commands: list[tuple[list[str], str | None, int, str]] = [
        (["ip", "-d", "-j", "link", "show"], _j(links), 0, ""), (["ip", "-j", "addr", "show"], _j(addrs), 0, ""),
        (["ip", "-j", "rule", "show"], _j(rules), 0, ""), (["ip", "-j", "route", "show", "table", "all"], _j(routes), 0, ""),
    ]
    write(out, files, commands, ["/proc/sys/kernel", "/proc/sys/net/ipv4", "/etc/iproute2", "/etc/openvpn"], "laptop")
