"""Parsers for iproute2's text output of ip rule, ip route and ip route get.

Used on systems older than iproute2 4.17, where ``ip rule`` and ``ip route`` have no JSON
(4.14-4.16, Ubuntu 18.04's 4.15 among them, accept ``-j`` and print this text anyway).

Commands and samples (iproute2 3.12-6.x)::

    ip rule show
        0:	from all lookup local
        200:	from 192.168.6.1/24 to 192.168.1.1/16 lookup main
        90:	from all fwmark 0x1 blackhole
        32764:	from all lookup main suppress_prefixlength 0
        32765:	not from all fwmark 0xca6c lookup 51820
        9000:	from all iif omash-tun [detached] goto 9010
        1000:	from all lookup [l3mdev-table]
        10:	from all lookup main 15                   (iproute2 < 5.1: realms 0/15 without "realms")
    ip route show table all
        default via 192.168.1.1 dev eth0
        default dev tun-hma  table 3  scope link      (old: two spaces, trailing space)
        unreachable default table 3
        local 127.0.0.1 dev lo  table local  proto kernel  scope host  src 127.0.0.1
        default proto static metric 100
        <TAB>nexthop via 10.0.0.1 dev eth0 weight 1
        <TAB>nexthop via 10.0.1.1 dev eth1 weight 1 linkdown
        unreachable ::/96 dev lo  metric 1024  error -101
        2001:db8::1 via fe80::1 dev eth0  metric 0
            cache  mtu 1492 hoplimit 255
    ip route get 8.8.8.8 from 192.168.6.10 iif br6
        8.8.8.8 from 192.168.6.10 via 192.168.1.254 dev eth0 table 3
            cache iif br6

Records: the same :class:`~hwcompat.parsers.ip_json.RouteRule` and
:class:`~hwcompat.parsers.ip_json.Route` as the JSON parsers, so facts do not care which one
ran; values are normalised to one form (``fwmark 0x0/0xffff`` whether printed ``0x0/0xffff``
(old) or ``0/0xffff`` (5.0+)).

Words follow iproute2's print_rule and print_route (ip/iprule.c, ip/iproute.c, 3.x to 6.x). A rule
word this parser does not know is kept, with the rest of its line, in ``unknown``: the rule is
read and the evaluator refuses to decide a packet that reaches it. Route lines are all read: an
IPv6 route (an IPv6 address, or ``pref``/``expires``/``error``, or ``table unspec``) is kept with
family ``inet6`` whatever words it has, since IPv4 routing never uses it; on an IPv4 route an
unknown word, a word without its value or a malformed value is a ParseError naming the line.
"""

from __future__ import annotations

import ipaddress
import itertools
import re

from hwcompat.errors import ParseError
from hwcompat.parsers.ip_json import ROUTE_TYPES, Nexthop, Route, RouteRule

_RULE_ACTIONS = ("blackhole", "unreachable", "prohibit", "local", "broadcast", "anycast", "multicast", "throw", "xresolve", "unicast")
_PORT = re.compile(r"^(\d+|\d+-\d+|0x[0-9a-f]+/0x[0-9a-f]+)$", re.I)
_UIDS = re.compile(r"^\d+-\d+$")


def _prefix(text: str, line_no: int, line: str) -> tuple[str | None, int | None]:
    if text == "all":
        return None, None
    if text.startswith("0/"):
        text = "0.0.0.0" + text[1:]  # noqa: S104 (an address, not a bind): iproute2 prints "0/N" for a length without an address
    try:
        net = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        raise ParseError("ip_rule_text", line_no, line, f"{text!r} is not an IPv4 prefix (hwcompat reads IPv4 rules)") from None
    return text.partition("/")[0], net.prefixlen if "/" in text else None


def _fwmark(text: str, line_no: int, line: str) -> str:
    value, _, mask = text.partition("/")
    try:
        return f"{int(value, 16):#x}" + (f"/{int(mask, 16):#x}" if mask else "")
    except ValueError:
        raise ParseError("ip_rule_text", line_no, line, f"fwmark {text!r} is not hexadecimal MARK[/MASK]") from None


def _rule_line(prio: int, words: list[str], line_no: int, line: str) -> RouteRule:
    f: dict[str, object] = {}
    unknown: tuple[str, ...] = ()
    i = 0
    after_table = False
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        step = 2
        if w == "not":
            f["not_"], step = True, 1
        elif w == "[detached]":  # print_rule writes it right after the interface it is about
            f["oif_detached" if i >= 2 and words[i - 2] == "oif" else "iif_detached"], step = True, 1
        elif w == "[unresolved]":
            f["unresolved"], step = True, 1
        elif w == "nop":
            f["action"], step = "nop", 1
        elif w == "masquerade":
            f["action"], step = "nat", 1
        elif w in _RULE_ACTIONS and not (w == "unicast" and nxt is not None):
            f["action"], step = w, 1
        elif after_table and w.isdigit():
            f["realms"], step = w, 1  # iproute2 < 5.1 printed "realms 0/N" as a bare N after the table (fixed by 62de07fa)
        elif nxt is None:
            unknown = tuple(words[i:])
            break
        elif w in ("from", "to"):
            addr, plen = _prefix(nxt, line_no, line)
            f["src" if w == "from" else "dst"], f["srclen" if w == "from" else "dstlen"] = addr, plen
        elif w in ("lookup", "table") and nxt == "[l3mdev-table]":
            f["l3mdev"] = True
        elif w in ("lookup", "table"):
            f["table"] = nxt
        elif w in ("iif", "oif", "tos", "dsfield", "dscp", "ipproto", "suppress_ifgroup", "realms", "proto", "flowlabel"):
            key = {"dsfield": "tos", "proto": "protocol"}.get(w, w)
            f[key] = nxt
        elif w == "ip_proto":
            f["ipproto"] = nxt  # the 4.16 development form of ipproto (commit f686f764)
        elif w == "fwmark":
            f["fwmark"] = _fwmark(nxt, line_no, line)
        elif w == "uidrange" and _UIDS.match(nxt):
            f["uidrange"] = nxt
        elif w in ("sport", "dport") and _PORT.match(nxt):
            f[w] = nxt
        elif w in ("tun_id", "suppress_prefixlength", "goto") and nxt.lstrip("-").isdigit():
            f[{"suppress_prefixlength": "suppress_prefixlen"}.get(w, w)] = int(nxt)
            f.update({"action": "goto"} if w == "goto" else {})
        elif w == "goto" and nxt == "none":
            f["action"] = "goto"
        elif w == "map-to":
            f["action"] = "nat"
        else:
            unknown = tuple(words[i:])  # kept whole: a word not understood means the rest cannot be split reliably
            break
        after_table = w in ("lookup", "table", "suppress_prefixlength", "suppress_ifgroup") and step == 2
        i += step
    return RouteRule(
        prio, _s(f.get("src")), _n(f.get("srclen")), _s(f.get("dst")), _n(f.get("dstlen")), _s(f.get("iif")), _s(f.get("oif")),
        _s(f.get("fwmark")), _s(f.get("table")), _s(f.get("action")), bool(f.get("not_")), tos=_s(f.get("tos")),
        dscp=_s(f.get("dscp")), iif_detached=bool(f.get("iif_detached")), oif_detached=bool(f.get("oif_detached")),
        l3mdev=bool(f.get("l3mdev")), uidrange=_s(f.get("uidrange")), ipproto=_s(f.get("ipproto")), sport=_s(f.get("sport")),
        dport=_s(f.get("dport")), tun_id=_n(f.get("tun_id")), suppress_prefixlen=_n(f.get("suppress_prefixlen")),
        suppress_ifgroup=_s(f.get("suppress_ifgroup")), goto=_n(f.get("goto")), unresolved=bool(f.get("unresolved")),
        realms=_s(f.get("realms")), protocol=_s(f.get("protocol")), flowlabel=_s(f.get("flowlabel")), unknown=unknown,
    )


def _s(value: object) -> str | None:
    return None if value is None else str(value)


def _n(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_rules(text: str) -> list[RouteRule]:
    """Parse ``ip rule show``."""
    out = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        head, sep, rest = line.partition(":")
        if not sep or not head.strip().isdigit():
            raise ParseError("ip_rule_text", line_no, line, "expected 'PRIORITY: selector action'")
        out.append(_rule_line(int(head), rest.split(), line_no, line))
    return out


#: route words followed by one value (ip/iproute.c print_route and print_rta_metrics)
_VALUE_WORDS = {"dev", "table", "proto", "scope", "src", "metric", "from", "nhid", "tos", "mark", "uid", "expires", "error",
                "users", "used", "age", "ipid", "ts", "tsage", "iif", "pref", "realm", "realms", "ttl-propogate", "weight"}
_METRICS = {"mtu", "advmss", "window", "rtt", "rttvar", "ssthresh", "cwnd", "hoplimit", "initcwnd", "initrwnd", "rto_min",
            "quickack", "congctl", "fastopen_no_cookie", "reordering"}
_FLAGS = {"dead", "onlink", "pervasive", "offload", "trap", "notify", "linkdown", "unresolved", "rt_offload", "rt_trap",
          "rt_offload_failed"}


def _route_words(words: list[str], strict: bool, line_no: int, line: str, parser: str) -> tuple[dict[str, str], list[str], list[str]]:
    """Fields, flags and words not understood of one route line (after type and destination).

    ``strict``: an unknown word or a missing value is a ParseError (IPv4 routes); otherwise it is returned.
    """
    fields: dict[str, str] = {}
    flags: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        rest = words[i + 1:]
        if w in _FLAGS:
            flags.append(w)
            i += 1
            continue
        if w == "cache":
            i += 1 + (1 if rest and rest[0].startswith("<") else 0)
            continue
        if w == "features":
            i += 1
            while i < len(words) and (words[i] in ("ecn", "tcp_usec_ts") or words[i].startswith("0x")):
                i += 1
            continue
        if not rest and (w in _VALUE_WORDS or w in _METRICS or w in ("via", "as")):
            if strict:
                raise ParseError(parser, line_no, line, f"{w!r} without a value")
            unknown.append(w)
            break
        if w == "via":
            if rest[0] in ("inet", "inet6") and len(rest) > 1:
                fields["via"], fields["via_family"] = rest[1], rest[0]
                i += 3
            else:
                fields["via"] = rest[0]
                i += 2
        elif w == "as" and rest[0] == "to" and len(rest) > 1:
            fields["as to"] = rest[1]
            i += 3
        elif w in _METRICS:
            i += 3 if rest[0] == "lock" and len(rest) > 1 else 2
        elif w in _VALUE_WORDS:
            fields[w] = rest[0]
            i += 2
        elif strict:
            raise ParseError(parser, line_no, line, f"unknown word {w!r}")
        else:
            unknown.append(w)
            i += 1
    return fields, flags, unknown


def _v6(dst: str, words: list[str]) -> bool:
    """IPv6 routes: an IPv6 destination or source, or what only IPv6 routes print (pref, expires, error, table unspec)."""
    if ":" in dst or any(w in ("pref", "expires", "error") for w in words):
        return True
    pairs = dict(itertools.pairwise(words))
    return pairs.get("table") == "unspec" or ":" in pairs.get("src", "") or ":" in pairs.get("from", "") or (
        ":" in pairs.get("via", "") and pairs.get("via") not in ("inet", "inet6"))


def _route_line(words: list[str], line_no: int, line: str, parser: str) -> Route:
    kind = "unicast"
    if words[0] in ROUTE_TYPES:
        kind, words = words[0], words[1:]
    if not words:
        raise ParseError(parser, line_no, line, "expected a destination")
    dst = words[0]
    v6 = _v6(dst, words)
    if not v6 and dst != "default":
        try:
            ipaddress.IPv4Network("0.0.0.0" + dst[1:] if dst.startswith("0/") else dst, strict=False)  # noqa: S104 (an address)
        except ValueError:
            raise ParseError(parser, line_no, line, f"{dst!r} is not an IPv4 destination") from None
    fields, flags, unknown = _route_words(words[1:], not v6, line_no, line, parser)
    if not v6:
        for key in ("via", "src"):
            if key in fields and fields.get("via_family", "inet") == "inet":
                try:
                    ipaddress.IPv4Address(fields[key])
                except ValueError:
                    raise ParseError(parser, line_no, line, f"{key} {fields[key]!r} is not an IPv4 address") from None
        if not fields.get("metric", "0").isdigit():
            raise ParseError(parser, line_no, line, f"metric {fields['metric']!r} is not a number")
        if "as to" in fields:
            unknown.append(f"as to {fields['as to']}")
        if "nhid" in fields and "dev" not in fields:
            unknown.append(f"nhid {fields['nhid']} (a nexthop object whose device is not shown)")
    metric = fields.get("metric", "0")
    return Route(fields.get("table", "main"), dst, kind, fields.get("dev"), fields.get("via"), int(metric) if metric.isdigit() else 0,
                 fields.get("proto"), fields.get("scope"), fields.get("src"), tuple(flags), "inet6" if v6 else "inet",
                 fields.get("tos"), (), tuple(unknown))


def _nexthop(words: list[str], line_no: int, line: str) -> Nexthop:
    fields, flags, _ = _route_words(words, True, line_no, line, "ip_route_text")
    weight = fields.get("weight", "1")
    if not weight.isdigit():
        raise ParseError("ip_route_text", line_no, line, f"weight {weight!r} is not a number")
    return Nexthop(fields.get("dev"), fields.get("via"), int(weight), tuple(flags))


def parse_routes(text: str) -> list[Route]:
    """Parse ``ip route show table all``."""
    out: list[Route] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words:
            continue
        if line.startswith((" ", "\t")):
            # a continuation of the route above: a nexthop of a multipath route, or a cached route's metrics
            if not out:
                raise ParseError("ip_route_text", line_no, line, "an indented line before any route")
            last = out[-1]
            if last.family == "inet6" or words[0] == "cache":
                continue
            if words[0] != "nexthop":
                raise ParseError("ip_route_text", line_no, line, f"unknown continuation {words[0]!r} of an IPv4 route")
            out[-1] = _with_nexthop(last, _nexthop(words[1:], line_no, line))
            continue
        out.append(_route_line(words, line_no, line, "ip_route_text"))
    return out


def _with_nexthop(route: Route, nh: Nexthop) -> Route:
    return Route(route.table, route.dst, route.type, route.dev, route.gateway, route.metric, route.protocol, route.scope,
                 route.prefsrc, route.flags, route.family, route.tos, (*route.nexthops, nh), route.unknown)


def parse_route_get(text: str) -> Route:
    """Parse ``ip route get ...`` (and what iproute2 4.14-4.16 print for ``ip -j route get``): the route chosen.

    The first line is the route (``local 192.168.6.1 ... dev lo table local`` for local delivery);
    an indented ``cache ...`` line after it is the route cache's note and is not needed.
    """
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines or lines[0][1].startswith((" ", "\t")):
        raise ParseError("ip_route_get_text", lines[0][0] if lines else 1, lines[0][1] if lines else text[:80], "expected a route")
    line_no, line = lines[0]
    route = _route_line(line.split(), line_no, line, "ip_route_get_text")
    for n, more in lines[1:]:
        words = more.split()
        if not more.startswith((" ", "\t")) or words[0] not in ("cache", "nexthop"):
            raise ParseError("ip_route_get_text", n, more, "expected one route (and its cache line)")
        if words[0] == "nexthop":
            route = _with_nexthop(route, _nexthop(words[1:], n, more))
    return route
