"""Parsers for iproute2's JSON output (iproute2 >= 4.14 for link/addr, >= 4.17 for rule/route).

Commands and record schemas::

    ip -d -j link show          -> IpLink(ifname, kind, slave_kind, master, parent, vlan_id, flags, operstate, group, vrf_table)
    ip -j addr show             -> IpAddr(ifname, family, local, prefixlen, peer)
    ip -j rule show             -> RouteRule(priority, selectors..., table, action, ...)
    ip -j route show table all  -> Route(table, dst, type, dev, gateway, metric, ..., tos, nexthops, unknown)

Samples (iproute2 6.1)::

    [{"ifname":"eth0.6","link":"eth0","flags":["BROADCAST","UP"],"operstate":"UP","group":"default",
      "linkinfo":{"info_kind":"vlan","info_data":{"protocol":"802.1Q","id":6}}}]
    [{"ifname":"tun-hma","addr_info":[{"family":"inet","local":"10.8.0.6","address":"10.8.0.5","prefixlen":32}]}]
    [{"priority":201,"src":"192.168.6.1","srclen":24,"table":"3"},{"priority":90,"src":"all","fwmark":"0x1","action":"blackhole"},
     {"priority":32764,"src":"all","table":"main","suppress_prefixlen":0},{"priority":32765,"not":null,"src":"all",
      "fwmark":"0xca6c","table":"51820"}]
    [{"dst":"default","dev":"tun-hma","table":"3","scope":"link","flags":["linkdown"]},
     {"type":"unreachable","dst":"default","table":"7","flags":[]},
     {"dst":"default","protocol":"static","flags":[],"nexthops":[{"gateway":"10.0.0.1","dev":"eth0","weight":1,"flags":[]}]}]

Rules keep every selector and action iproute2 prints (ip/iprule.c print_rule): fwmark and mask,
iif/oif and ``[detached]``, tos, dscp, l3mdev, uidrange, ipproto, sport/dport (a port, a range
or a value/mask), tun_id, lookup, suppress_prefixlength, suppress_ifgroup, realms, goto
(``[unresolved]``), nop, the error actions, protocol. Values are kept in ip rule's text form
(``fwmark 0x80000/0xff0000``, ``sport 1000-2000``, ``dport 0x4/0xff``) whichever form was read;
a key this parser does not know is kept in ``unknown`` (``key=value``), never dropped, so the
evaluator can refuse to decide a packet that reaches the rule. Versions differ: 4.17-5.0 wrote
a non-table action as ``"to_tbl"``, 5.1 as ``"action"``; ``"iif_detached": null`` is the JSON
form of ``[detached]``; with ``-N`` tables are numbers (255/254/253 for local/main/default).

Routes of the main table carry no ``table`` key (recorded as "main"); ``type`` is only printed
for non-unicast routes. ``ip route show table all`` lists IPv6 routes too (iproute2 narrows to
IPv4 only when one table is named), and an IPv6 default route is ``"dst":"default"`` like an
IPv4 one: IPv6 routes carry ``pref`` (and ``error``/``expires``), so ``family`` is ``inet6``
for those. A multipath route keeps its ``nexthops``. Rule addresses are kept as written: the
kernel keeps ``from 192.168.6.1/24`` with its host bits and matches it as /24.

Raises ParseError for text that is not a JSON array of objects, an entry without its key field
(ifname, priority, dst), a value of the wrong type, or a rule or IPv4 route address that is not
IPv4. iproute2 4.17-4.20 printed a non-unicast route's type without its key (``{"local","dst":
...}``, fixed in 5.0 by commit 0736617, iproute2 issue #37): that raises :class:`BareRouteType`,
a ParseError saying so, so the caller can read the text form instead.
"""

from __future__ import annotations

import gc
import ipaddress
import json
import re
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hwcompat.errors import ParseError


class BareRouteType(ParseError):
    """iproute2 4.17-4.20 printed a route type without its key: the JSON is invalid, the text form is not."""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class IpLink:
    """One network interface (``group``: its device group as ip prints it; ``vrf_table``: a VRF's table)."""

    ifname: str
    kind: str | None
    slave_kind: str | None
    master: str | None
    parent: str | None
    vlan_id: int | None
    flags: tuple[str, ...]
    operstate: str
    group: str | None = None
    vrf_table: int | None = None


@dataclass(frozen=True, slots=True)
class IpAddr:
    """One address of an interface (``peer`` for point-to-point links)."""

    ifname: str
    family: str
    local: str
    prefixlen: int
    peer: str | None


@dataclass(frozen=True, slots=True)
class RouteRule:
    """One policy-routing rule, every selector as ``ip rule`` writes it.

    ``action`` is None for a table lookup, else ``goto``, ``nop``, ``blackhole``, ``unreachable``,
    ``prohibit``, ``nat`` or whatever other action iproute2 printed. ``unknown`` holds what no
    field here covers (a JSON key, or the rest of a text line from the first word not understood).
    """

    priority: int
    src: str | None
    srclen: int | None
    dst: str | None
    dstlen: int | None
    iif: str | None
    oif: str | None
    fwmark: str | None
    table: str | None
    action: str | None
    not_: bool
    tos: str | None = None
    dscp: str | None = None
    iif_detached: bool = False
    oif_detached: bool = False
    l3mdev: bool = False
    uidrange: str | None = None
    ipproto: str | None = None
    sport: str | None = None
    dport: str | None = None
    tun_id: int | None = None
    suppress_prefixlen: int | None = None
    suppress_ifgroup: str | None = None
    goto: int | None = None
    unresolved: bool = False
    realms: str | None = None
    protocol: str | None = None
    flowlabel: str | None = None
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Nexthop:
    """One path of a multipath route."""

    dev: str | None
    gateway: str | None
    weight: int
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Route:
    """One route of one table.

    ``tos``: the route's TOS selector; ``nexthops``: the paths of a multipath route; ``unknown``:
    what this route has that changes forwarding but is not modelled (``encap``, a nexthop object
    without a device).
    """

    table: str
    dst: str
    type: str
    dev: str | None
    gateway: str | None
    metric: int
    protocol: str | None
    scope: str | None
    prefsrc: str | None
    flags: tuple[str, ...]
    family: str = "inet"
    tos: str | None = None
    nexthops: tuple[Nexthop, ...] = ()
    unknown: tuple[str, ...] = ()


_ROUTE_SLOTS = ("table", "dst", "type", "dev", "gateway", "metric", "protocol", "scope", "prefsrc", "flags", "family", "tos", "nexthops", "unknown")
if Route.__slots__ != _ROUTE_SLOTS:  # _route_of sets every field by name: a new field must be given there too
    raise TypeError(f"Route's fields {Route.__slots__} are not the ones _route_of sets {_ROUTE_SLOTS}")
(_TABLE, _DST, _TYPE, _DEV, _GATEWAY, _METRIC, _PROTOCOL, _SCOPE, _PREFSRC, _FLAGS, _FAMILY, _TOS, _NEXTHOPS,
 _UNKNOWN) = (Route.__dict__[name].__set__ for name in _ROUTE_SLOTS)


def _route_of(table: str, dst: str, kind: str, dev: str | None, gateway: str | None, metric: int, protocol: str | None,
              scope: str | None, prefsrc: str | None, flags: tuple[str, ...]) -> Route:
    """An IPv4 Route without tos, nexthops or unknown words, made without the frozen dataclass's __init__.

    That __init__ sets each field through object.__setattr__ (2.4 us a route, a third of reading
    a full table); the slots' own setters do the same in well under 1 us. The result is a normal
    frozen Route (a self-test compares it with the one the full reader builds).
    """
    route = object.__new__(Route)
    _TABLE(route, table)
    _DST(route, dst)
    _TYPE(route, kind)
    _DEV(route, dev)
    _GATEWAY(route, gateway)
    _METRIC(route, metric)
    _PROTOCOL(route, protocol)
    _SCOPE(route, scope)
    _PREFSRC(route, prefsrc)
    _FLAGS(route, flags)
    _FAMILY(route, "inet")
    _TOS(route, None)
    _NEXTHOPS(route, ())
    _UNKNOWN(route, ())
    return route


ROUTE_TYPES = ("unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve")
_BARE_TYPE = re.compile(r'\{\s*"(' + "|".join(ROUTE_TYPES) + r')"\s*,')


def _load(name: str, text: str) -> list[dict[str, Any]]:
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        lines = text.splitlines() or [""]
        line = lines[min(err.lineno, len(lines)) - 1]
        bare = _BARE_TYPE.search(text)
        if bare:
            raise BareRouteType(name, err.lineno, bare.group(0), "not JSON: iproute2 4.17-4.20 printed the route type without its "
                                "key (fixed in iproute2 5.0, commit 0736617; iproute2 issue #37)") from None
        raise ParseError(name, err.lineno, line, f"not JSON: {err.msg}") from None
    except RecursionError:
        raise ParseError(name, 1, text[:80], "nested deeper than any ip output (Python's JSON reader gave up)") from None
    except ValueError as err:  # e.g. a number of more than 4,300 digits
        raise ParseError(name, 1, text[:80], f"not JSON Python can read: {err}") from None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ParseError(name, 1, text[:80], "expected a JSON array of objects")
    return data


def _bad(name: str, entry: dict[str, Any], reason: str) -> ParseError:
    return ParseError(name, 1, json.dumps(entry)[:200], reason)


def _need(name: str, entry: dict[str, Any], key: str, kind: type) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise _bad(name, entry, f"entry without a valid {key!r}")
    return value


def _opt(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(name: str, entry: dict[str, Any], key: str) -> int | None:
    """An integer field, or None when absent; a value of another type is a ParseError."""
    if key not in entry:
        return None
    value = _int(entry[key])
    if value is None:
        raise _bad(name, entry, f"{key!r} is not an integer")
    return value


def _text(name: str, entry: dict[str, Any], key: str) -> str | None:
    """A text (or number) field as printed, or None when absent; an object or list is a ParseError."""
    if key not in entry or entry[key] is None:
        return None
    value = entry[key]
    if isinstance(value, (dict, list, bool)):
        raise _bad(name, entry, f"{key!r} is not a text or a number")
    return str(value)


def parse_links(text: str) -> list[IpLink]:
    """Parse ``ip -d -j link show``."""
    out = []
    for e in _load("ip_link", text):
        info = _dict(e.get("linkinfo"))
        data = _dict(info.get("info_data"))
        vlan = data.get("id") if info.get("info_kind") == "vlan" else None
        vrf = data.get("table") if info.get("info_kind") == "vrf" else None
        flags = _list(e.get("flags"))
        out.append(IpLink(
            _need("ip_link", e, "ifname", str), _opt(info, "info_kind"), _opt(info, "info_slave_kind"), _opt(e, "master"),
            _opt(e, "link"), vlan if isinstance(vlan, int) else None, tuple(str(f) for f in flags), str(e.get("operstate", "UNKNOWN")),
            _opt(e, "group"), _int(vrf),
        ))
    return out


def parse_addrs(text: str) -> list[IpAddr]:
    """Parse ``ip -j addr show``."""
    out = []
    for e in _load("ip_addr", text):
        ifname = _need("ip_addr", e, "ifname", str)
        infos = _list(e.get("addr_info"))
        for a in infos:
            if not isinstance(a, dict) or not isinstance(a.get("local"), str):
                continue
            family = str(a.get("family", ""))
            plen = a.get("prefixlen")
            if not isinstance(plen, int) or isinstance(plen, bool):
                plen = 32 if family == "inet" else 128
            if family == "inet":
                try:
                    ipaddress.IPv4Interface(f"{a['local']}/{plen}")
                except ValueError:
                    raise ParseError("ip_addr", 1, json.dumps(a)[:200], f"{a['local']!r}/{plen} of {ifname} is not an IPv4 address and prefix") from None
            out.append(IpAddr(ifname, family, a["local"], plen, _opt(a, "address")))
    return out


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(r"\.".join([_OCTET] * 4) + r"(?:/(3[0-2]|[12]?[0-9]))?")


_LENGTHS = {str(n): n for n in range(33)}


def dotted_quad(text: str) -> tuple[int, int | None] | None:
    """``a.b.c.d`` or ``a.b.c.d/n`` exactly as ipaddress accepts it, as (address, n or None); anything else None.

    ip prints every IPv4 address and prefix this way, so the common case is read without building
    an ipaddress object (a full Internet table has a million routes); callers fall back to
    ipaddress for None.
    """
    address, slash, length = text.partition("/")
    try:
        packed = socket.inet_aton(address)
    except (OSError, ValueError):
        return None
    if socket.inet_ntoa(packed) != address:  # inet_aton also takes "10", "0x0a.1", "1.2.3.4 junk": only the canonical form is one
        return None
    if not slash:
        return int.from_bytes(packed), None
    n = _LENGTHS.get(length)
    return None if n is None else (int.from_bytes(packed), n)


def _ipv4(name: str, entry: dict[str, Any], value: str | None) -> str | None:
    """An IPv4 address or prefix as recorded (``default``/``all`` pass); anything else is a ParseError."""
    if value in (None, "all", "default"):
        return value
    if _DOTTED_QUAD.fullmatch(value):
        return value  # the form every route is printed in, read without ipaddress (a full table has a million)
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        reason = f"{value!r} is not an IPv4 address (hwcompat reads IPv4 rules and routes)"
        raise _bad(name, entry, reason) from None
    return value


def _hex(name: str, entry: dict[str, Any], key: str) -> int | None:
    """A hexadecimal field as iproute2 prints it with ``%#x`` (``0x1f``, or ``0`` for zero)."""
    value = _text(name, entry, key)
    if value is None:
        return None
    try:
        return int(value, 16)
    except ValueError:
        raise _bad(name, entry, f"{key!r} is not a hexadecimal number") from None


def _ports(name: str, e: dict[str, Any], key: str) -> str | None:
    """sport/dport in ip rule's text form: ``80``, ``1000-2000`` or ``0x123/0xfff``."""
    start, end = _num(name, e, f"{key}_start"), _num(name, e, f"{key}_end")
    if start is not None and end is not None:
        return f"{start}-{end}"
    port = _num(name, e, key)
    if port is None:
        return None
    mask = _hex(name, e, f"{key}_mask")
    return str(port) if mask in (None, 0xFFFF) else f"{port:#x}/{mask:#x}"


#: JSON keys of ip rule that a RouteRule field covers (ip/iprule.c print_rule, 4.17 to 6.x)
_RULE_KEYS = {"priority", "not", "src", "srclen", "dst", "dstlen", "tos", "fwmark", "fwmask", "iif", "iif_detached", "oif",
              "oif_detached", "l3mdev", "uid_start", "uid_end", "ipproto", "sport", "sport_mask", "sport_start", "sport_end",
              "dport", "dport_mask", "dport_start", "dport_end", "tun_id", "table", "suppress_prefixlen", "suppress_ifgroup",
              "flow_from", "flow_to", "nat_gateway", "masquerade", "goto", "unresolved", "nop", "action", "to_tbl", "protocol",
              "dscp", "dscp_mask", "flowlabel", "flowlabel_mask", "deleted"}


def _rule(e: dict[str, Any]) -> RouteRule:
    n = "ip_rule"
    # iproute2 prints "0" for a prefix length without an address
    src = _ipv4(n, e, "0.0.0.0" if e.get("src") == "0" else _text(n, e, "src"))  # noqa: S104 (an address, not a bind)
    dst = _ipv4(n, e, "0.0.0.0" if e.get("dst") == "0" else _text(n, e, "dst"))  # noqa: S104
    mark, mask = _hex(n, e, "fwmark"), _hex(n, e, "fwmask")
    fwmark = None
    if mark is not None or mask is not None:
        fwmark = f"{mark or 0:#x}" + (f"/{mask:#x}" if mask is not None and mask != 0xFFFFFFFF else "")
    uid_start, uid_end = _num(n, e, "uid_start"), _num(n, e, "uid_end")
    dscp = _text(n, e, "dscp")
    dscp_mask = _hex(n, e, "dscp_mask")
    if dscp is not None and dscp_mask is not None and dscp_mask != 0x3F:
        dscp += f"/{dscp_mask:#x}"
    action = _text(n, e, "action") or _text(n, e, "to_tbl")
    goto = e.get("goto")
    if "goto" in e:
        action = "goto"
    elif "nop" in e:
        action = "nop"
    elif "nat_gateway" in e or "masquerade" in e:
        action = "nat"
    if goto is not None and goto != "none" and _int(goto) is None:
        raise _bad(n, e, "'goto' is not a rule priority")
    realms = None
    if "flow_to" in e:
        realms = (f"{_text(n, e, 'flow_from')}/" if "flow_from" in e else "") + str(_text(n, e, "flow_to"))
    flowlabel = _text(n, e, "flowlabel")
    if flowlabel is not None and "flowlabel_mask" in e:
        flowlabel += f"/{_text(n, e, 'flowlabel_mask')}"
    return RouteRule(
        _need(n, e, "priority", int), None if src in (None, "all") else src, _num(n, e, "srclen"),
        None if dst in (None, "all") else dst, _num(n, e, "dstlen"), _text(n, e, "iif"), _text(n, e, "oif"), fwmark,
        _text(n, e, "table"), action, "not" in e,  # iproute2 prints a negated rule as "not":null
        tos=_text(n, e, "tos"), dscp=dscp, iif_detached="iif_detached" in e, oif_detached="oif_detached" in e,
        l3mdev="l3mdev" in e, uidrange=f"{uid_start}-{uid_end}" if uid_start is not None and uid_end is not None else None,
        ipproto=_text(n, e, "ipproto"), sport=_ports(n, e, "sport"), dport=_ports(n, e, "dport"), tun_id=_num(n, e, "tun_id"),
        suppress_prefixlen=_num(n, e, "suppress_prefixlen"), suppress_ifgroup=_text(n, e, "suppress_ifgroup"),
        goto=_int(goto), unresolved="unresolved" in e, realms=realms, protocol=_text(n, e, "protocol"), flowlabel=flowlabel,
        unknown=tuple(f"{k}={json.dumps(v)}" for k, v in e.items() if k not in _RULE_KEYS),
    )


def parse_rules(text: str) -> list[RouteRule]:
    """Parse ``ip -j rule show``."""
    return [_rule(e) for e in _load("ip_rule", text)]


#: JSON keys of ip route that do not change where a packet goes (ip/iproute.c print_route)
_ROUTE_INERT = {"type", "dst", "tos", "gateway", "via", "dev", "table", "protocol", "scope", "prefsrc", "metric", "flags", "mark",
                "flow", "uid", "cache", "expires", "error", "users", "used", "age", "ipid", "ts", "tsage", "metrics", "iif", "pref",
                "ttl-propogate", "nexthops", "nhid", "nh_info", "deleted", "from"}


def _v6(e: dict[str, Any]) -> bool:
    """An IPv6 route: an IPv6 address anywhere, or what only IPv6 routes carry (pref, error, expires, table unspec)."""
    for key in ("dst", "gateway", "prefsrc", "from"):
        value = e.get(key)
        if value is not None and ":" in str(value):
            return True
    return "pref" in e or "error" in e or "expires" in e or e.get("table") in ("unspec", "0")


def _nexthops(e: dict[str, Any]) -> tuple[Nexthop, ...]:
    out = []
    for nh in _list(e.get("nexthops")):
        if not isinstance(nh, dict):
            raise _bad("ip_route", e, "a nexthop that is not an object")
        via = _dict(nh.get("via"))
        weight = _int(nh.get("weight"))
        out.append(Nexthop(_text("ip_route", nh, "dev"), _text("ip_route", nh, "gateway") or _opt(via, "host"),
                           weight if weight is not None else 1, tuple(str(f) for f in _list(nh.get("flags")))))
    return tuple(out)


#: the keys of an ordinary IPv4 route, as a full Internet table prints a million of them
_PLAIN_ROUTE = frozenset({"type", "dst", "gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric", "flags"})


def _new_quad(value: str, quads: set[str]) -> bool:
    """Whether value is a dotted quad (remembered in quads when it is)."""
    if _DOTTED_QUAD.fullmatch(value):
        quads.add(value)
        return True
    return False


def _plain_route(e: dict[str, Any], memo: dict[str, str], quads: set[str]) -> Route | None:
    """An ordinary IPv4 route read with few calls, or None: then :func:`_full_route` reads it.

    Gives exactly what :func:`_full_route` gives (a self-test compares them); it only takes
    entries whose every key is in _PLAIN_ROUTE with a text value (metric an integer, flags texts)
    and whose addresses are dotted quads. ``memo``: one object per distinct text; ``quads``: the
    gateways already found to be dotted quads (a table has few).
    """
    if not e.keys() <= _PLAIN_ROUTE:
        return None
    get = e.get
    dst, gateway, metric, flags = get("dst"), get("gateway"), get("metric", 0), get("flags", [])
    table, kind, dev, protocol, scope, prefsrc = get("table"), get("type"), get("dev"), get("protocol"), get("scope"), get("prefsrc")
    if not (type(dst) is str and (dst == "default" or _DOTTED_QUAD.fullmatch(dst))
            and (gateway is None or (type(gateway) is str and (gateway in quads or _new_quad(gateway, quads))))
            and type(metric) is int and type(flags) is list and (not flags or all(type(f) is str for f in flags))
            and (table is None or type(table) is str) and (kind is None or type(kind) is str) and (dev is None or type(dev) is str)
            and (protocol is None or type(protocol) is str) and (scope is None or type(scope) is str)
            and (prefsrc is None or type(prefsrc) is str)
            and (prefsrc is None or ":" not in prefsrc) and table not in ("unspec", "0")):
        return None
    keep = memo.setdefault
    return _route_of(keep(table, table) if table else "main", dst, keep(kind, kind) if kind else "unicast", dev and keep(dev, dev),
                     gateway and keep(gateway, gateway), metric, protocol and keep(protocol, protocol), scope and keep(scope, scope),
                     prefsrc and keep(prefsrc, prefsrc), tuple(flags))


def _full_route(e: dict[str, Any], memo: dict[str, str]) -> Route:
    n = "ip_route"
    dst = _need(n, e, "dst", str)
    via = _dict(e.get("via"))
    gateway = _text(n, e, "gateway") or _opt(via, "host")
    v6 = _v6(e)
    if not v6:
        if dst == "all":
            raise _bad(n, e, "a route to 'all' (ip prints 0.0.0.0/0 as 'default'; 'all' is a rule's selector)")
        _ipv4(n, e, dst)
        if via.get("family", "inet") == "inet":
            _ipv4(n, e, gateway)
    metric = _num(n, e, "metric")
    flags = _list(e.get("flags"))
    nexthops = _nexthops(e)
    unknown = [f"{k}={json.dumps(v)}" for k, v in e.items() if k not in _ROUTE_INERT]
    if "nhid" in e and not e.get("dev") and not nexthops:
        unknown.append(f"nhid={e['nhid']} (a nexthop object whose device is not shown)")

    def m(text: str | None) -> str | None:
        return text if text is None else memo.setdefault(text, text)

    return Route(
        m(_text(n, e, "table")) or "main", dst, m(_text(n, e, "type")) or "unicast", m(_text(n, e, "dev")), m(gateway),
        metric or 0, m(_text(n, e, "protocol")), m(_text(n, e, "scope")), m(_text(n, e, "prefsrc")), tuple(str(f) for f in flags) if flags else (),
        "inet6" if v6 else "inet", _text(n, e, "tos"), nexthops, tuple(unknown),
    )


#: objects made while paused beyond which they are frozen out of later collections (see gc_paused)
FREEZE_AFTER = 50_000


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a large listing is read (reading makes no cycles).

    A million routes are millions of new objects: every allocation burst would start a
    collection that walks them all. When the reading made more than FREEZE_AFTER objects, they
    are moved out of the collector's reach afterwards (gc.freeze; reference counting still frees
    them): otherwise the next collections of each generation walk them again, 2 s for a full
    Internet table. A normal listing (a few hundred routes) is left to the collector as usual.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] > FREEZE_AFTER:
            gc.freeze()
        if was:
            gc.enable()


def parse_routes(text: str) -> list[Route]:
    """Parse ``ip -j route show table all``.

    A full Internet table is a million entries: each ordinary one becomes its Route while json
    reads it (object_hook), so the million dicts never exist at once. If such a hook result ends up
    anywhere but in the top-level array (an inner object shaped like a route), the text is read
    again the plain way, so the result is always what reading every entry with _full_route gives.
    """
    memo: dict[str, str] = {}  # one string object per distinct table, device, gateway...: a full table repeats a few thousand
    quads: set[str] = set()
    made = 0

    def hook(entry: dict[str, Any]) -> Any:
        nonlocal made
        route = _plain_route(entry, memo, quads)
        if route is None:
            return entry
        made += 1
        return route

    with gc_paused():
        try:
            data = json.loads(text, object_hook=hook) if text and not text.isspace() else []  # not strip(): no copy of 100 MB
        except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
            data = None  # _load raises it with its line
        if isinstance(data, list):
            kinds = Counter(map(type, data))
            if kinds.keys() <= {Route, dict} and kinds[Route] == made:
                return [e if type(e) is Route else _full_route(e, memo) for e in data]
        return [_full_route(e, memo) for e in _load("ip_route", text)]


def parse_route_get(text: str) -> Route:
    """Parse ``ip -j route get ...``: the one route the kernel chose (``dev lo`` and type local for local delivery)."""
    routes = parse_routes(text)
    if len(routes) != 1:
        raise ParseError("ip_route_get", 1, text[:200], f"expected one route, got {len(routes)}")
    return routes[0]
