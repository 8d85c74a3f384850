"""Parsers for iproute2's JSON output (iproute2 >= 4.14 for link/addr, >= 4.17 for rule/route).

Commands and record schemas::

    ip -d -j link show          -> IpLink(ifname, kind, slave_kind, master, parent, vlan_id, flags, operstate)
    ip -j addr show             -> IpAddr(ifname, family, local, prefixlen, peer)
    ip -j rule show             -> RouteRule(priority, src, srclen, dst, dstlen, iif, oif, fwmark, table, action, not_)
    ip -j route show table all  -> Route(table, dst, type, dev, gateway, metric, protocol, scope, prefsrc, flags, family)

Samples (iproute2 6.1)::

    [{"ifname":"eth0.6","link":"eth0","flags":["BROADCAST","UP"],"operstate":"UP",
      "linkinfo":{"info_kind":"vlan","info_data":{"protocol":"802.1Q","id":6}}}]
    [{"ifname":"tun-hma","addr_info":[{"family":"inet","local":"10.8.0.6","address":"10.8.0.5","prefixlen":32}]}]
    [{"priority":201,"src":"192.168.6.1","srclen":24,"table":"3"},{"priority":90,"src":"all","fwmark":"0x1","action":"blackhole"}]
    [{"dst":"default","dev":"tun-hma","table":"3","scope":"link","flags":["linkdown"]},
     {"type":"unreachable","dst":"default","table":"7","flags":[]}]

Routes of the main table carry no ``table`` key (recorded as "main"); ``type`` is only printed
for non-unicast routes. ``ip route show table all`` lists IPv6 routes too (iproute2 narrows to
IPv4 only when one table is named), and an IPv6 default route is ``"dst":"default"`` like an
IPv4 one: every IPv6 route carries ``pref``, so ``family`` is ``inet6`` for those. Rule addresses are kept as written: the kernel keeps
``from 192.168.6.1/24`` with its host bits and matches it as /24.

Raises ParseError for text that is not a JSON array of objects, or an entry without its key
field (ifname, priority, dst).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from hwcompat.errors import ParseError


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []



@dataclass(frozen=True, slots=True)
class IpLink:
    """One network interface."""

    ifname: str
    kind: str | None
    slave_kind: str | None
    master: str | None
    parent: str | None
    vlan_id: int | None
    flags: tuple[str, ...]
    operstate: str


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
    """One policy-routing rule."""

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


@dataclass(frozen=True, slots=True)
class Route:
    """One route of one table."""

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


def _load(name: str, text: str) -> list[dict[str, Any]]:
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        lines = text.splitlines() or [""]
        raise ParseError(name, err.lineno, lines[min(err.lineno, len(lines)) - 1], f"not JSON: {err.msg}") from None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ParseError(name, 1, text[:80], "expected a JSON array of objects")
    return data


def _need(name: str, entry: dict[str, Any], key: str, kind: type) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ParseError(name, 1, json.dumps(entry)[:200], f"entry without a valid {key!r}")
    return value


def _opt(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return None if value is None else str(value)


def parse_links(text: str) -> list[IpLink]:
    """Parse ``ip -d -j link show``."""
    out = []
    for e in _load("ip_link", text):
        info = _dict(e.get("linkinfo"))
        data = _dict(info.get("info_data"))
        vlan = data.get("id") if info.get("info_kind") == "vlan" else None
        flags = _list(e.get("flags"))
        out.append(IpLink(
            _need("ip_link", e, "ifname", str), _opt(info, "info_kind"), _opt(info, "info_slave_kind"), _opt(e, "master"),
            _opt(e, "link"), vlan if isinstance(vlan, int) else None, tuple(str(f) for f in flags), str(e.get("operstate", "UNKNOWN")),
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


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ipv4(name: str, entry: dict[str, Any], value: str | None) -> str | None:
    """An IPv4 address or prefix as recorded (``default``/``all`` pass); anything else is a ParseError."""
    if value in (None, "all", "default"):
        return value
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        reason = f"{value!r} is not an IPv4 address (hwcompat reads IPv4 rules and routes)"
        raise ParseError(name, 1, json.dumps(entry)[:200], reason) from None
    return value


def parse_rules(text: str) -> list[RouteRule]:
    """Parse ``ip -j rule show``."""
    out = []
    for e in _load("ip_rule", text):
        src = _ipv4("ip_rule", e, _opt(e, "src"))
        dst = _ipv4("ip_rule", e, _opt(e, "dst"))
        out.append(RouteRule(
            _need("ip_rule", e, "priority", int), None if src in (None, "all") else src, _int(e.get("srclen")),
            None if dst in (None, "all") else dst, _int(e.get("dstlen")), _opt(e, "iif"), _opt(e, "oif"), _opt(e, "fwmark"),
            _opt(e, "table"), _opt(e, "action"), "not" in e,  # iproute2 prints a negated rule as "not":null
        ))
    return out


def parse_routes(text: str) -> list[Route]:
    """Parse ``ip -j route show table all``."""
    out = []
    for e in _load("ip_route", text):
        flags = _list(e.get("flags"))
        metric = _int(e.get("metric"))
        dst = _need("ip_route", e, "dst", str)
        gateway = _opt(e, "gateway")
        v6 = "pref" in e or any(":" in (x or "") for x in (dst, gateway, _opt(e, "prefsrc")))
        if not v6:
            _ipv4("ip_route", e, dst)
            _ipv4("ip_route", e, gateway)
        out.append(Route(
            str(e.get("table", "main")), dst, str(e.get("type", "unicast")), _opt(e, "dev"), gateway,
            metric or 0, _opt(e, "protocol"), _opt(e, "scope"), _opt(e, "prefsrc"), tuple(str(f) for f in flags),
            "inet6" if v6 else "inet",
        ))
    return out
