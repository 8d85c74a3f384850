"""Parsers for iproute2's text output, for systems older than iproute2 4.17 (no ``-j``).

Commands and samples (2014: iproute2 3.12-3.16)::

    ip rule show
        0:	from all lookup local
        200:	from 192.168.6.1/24 to 192.168.1.1/16 lookup main
        90:	from all fwmark 0x1 blackhole
    ip route show table all
        default via 192.168.1.1 dev eth0
        default dev tun-hma  table 3  scope link
        unreachable default table 3
        local 127.0.0.1 dev lo  table local  proto kernel  scope host  src 127.0.0.1

Records: the same :class:`~hwcompat.parsers.ip_json.RouteRule` and
:class:`~hwcompat.parsers.ip_json.Route` as the JSON parsers, so facts do not care which one ran.
Raises ParseError for a rule line without ``N:`` or a word it does not know.
"""

from __future__ import annotations

import ipaddress

from hwcompat.errors import ParseError
from hwcompat.parsers.ip_json import Route, RouteRule

ROUTE_TYPES = ("unicast", "local", "broadcast", "multicast", "unreachable", "blackhole", "prohibit", "throw", "anycast", "nat")
_RULE_ACTIONS = ("blackhole", "unreachable", "prohibit", "goto", "nop")


def _prefix(text: str, line_no: int, line: str) -> tuple[str | None, int | None]:
    if text == "all":
        return None, None
    try:
        net = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        raise ParseError("ip_rule_text", line_no, line, f"{text!r} is not an IPv4 prefix") from None
    return text.partition("/")[0], net.prefixlen


def parse_rules(text: str) -> list[RouteRule]:
    """Parse ``ip rule show``."""
    out = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        head, sep, rest = line.partition(":")
        if not sep or not head.strip().isdigit():
            raise ParseError("ip_rule_text", line_no, line, "expected 'PRIORITY: selector action'")
        words = rest.split()
        src = dst = iif = oif = fwmark = table = action = None
        srclen = dstlen = None
        not_ = False
        i = 0
        while i < len(words):
            w = words[i]
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if w == "not":
                not_ = True
                i += 1
                continue
            if w == "from":
                src, srclen = _prefix(nxt, line_no, line)
            elif w == "to":
                dst, dstlen = _prefix(nxt, line_no, line)
            elif w in ("iif", "oif", "fwmark", "lookup", "table"):
                iif = nxt if w == "iif" else iif
                oif = nxt if w == "oif" else oif
                fwmark = nxt if w == "fwmark" else fwmark
                table = nxt if w in ("lookup", "table") else table
            elif w in _RULE_ACTIONS:
                action = w
                i += 1
                continue
            elif w in ("[detached]", "[oif-detached]", "[iif-detached]"):
                i += 1
                continue
            elif w in ("pref", "priority", "realms", "tos", "dsfield", "suppress_prefixlength", "suppress_ifgroup", "uidrange",
                       "ipproto", "sport", "dport", "l3mdev", "protocol", "proto"):
                pass
            else:
                raise ParseError("ip_rule_text", line_no, line, f"unknown word {w!r}")
            i += 2
        out.append(RouteRule(int(head), src, srclen, dst, dstlen, iif, oif, fwmark, table, action, not_))
    return out


def parse_routes(text: str) -> list[Route]:
    """Parse ``ip route show table all``."""
    out = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or line.startswith((" ", "\t")):
            continue  # nexthop lines of multipath routes are not modelled
        kind = "unicast"
        if words[0] in ROUTE_TYPES:
            kind, words = words[0], words[1:]
        if not words:
            raise ParseError("ip_route_text", line_no, line, "expected a destination")
        dst = words[0]
        # IPv6 routes come too (table all), each with "pref"; an IPv6 default is "default" like IPv4's
        v6 = "pref" in words or ":" in line
        if dst != "default" and not v6:
            try:
                ipaddress.IPv4Network(dst, strict=False)
            except ValueError:
                raise ParseError("ip_route_text", line_no, line, f"{dst!r} is not an IPv4 destination") from None
        fields: dict[str, str] = {}
        flags = []
        i = 1
        while i < len(words):
            w = words[i]
            if w in ("dev", "via", "table", "proto", "scope", "src", "metric", "mtu", "advmss", "realm", "expires", "pref", "onlink_", "hoplimit"):
                if i + 1 >= len(words):
                    raise ParseError("ip_route_text", line_no, line, f"{w!r} without a value")
                fields[w] = words[i + 1]
                i += 2
            elif w in ("linkdown", "onlink", "pervasive", "offload", "notify", "dead", "rt_trap", "rt_offload"):
                flags.append(w)
                i += 1
            else:
                raise ParseError("ip_route_text", line_no, line, f"unknown word {w!r}")
        metric = fields.get("metric", "0")
        out.append(Route(fields.get("table", "main"), dst, kind, fields.get("dev"), fields.get("via"),
                         int(metric) if metric.isdigit() else 0, fields.get("proto"), fields.get("scope"), fields.get("src"), tuple(flags),
                         "inet6" if v6 else "inet"))
    return out
