"""Network facts: interfaces, addresses, policy rules, routes, forwarding, rp_filter, OpenVPN.

Also routing-table names, and OpenVPN configs with the metadata of their credential files
(NAT is :mod:`hwcompat.facts.nat`).

Credential files (``auth-user-pass``) are only ever stat'ed, live and in snapshots.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from hwcompat.errors import CannotCheck, ParseError
from hwcompat.facts import Unknown, broken_input, parsed, read, run_command, then
from hwcompat.parsers import ip_json, ip_text, openvpn_conf, rt_tables
from hwcompat.parsers.ip_json import IpAddr, IpLink, Route, RouteRule
from hwcompat.parsers.openvpn_conf import OvpnDirective
from hwcompat.routing import Answer, Query
from hwcompat.sources.base import FactSource, FileStat

T = TypeVar("T")
OPENVPN_DIRS = ("/etc/openvpn", "/etc/openvpn/client")


@dataclass(frozen=True, slots=True)
class OpenVpnConfig:
    """One OpenVPN config file and the metadata of its credential file."""

    path: str
    directives: tuple[OvpnDirective, ...]
    auth_file: str | None
    auth_stat: FileStat | Unknown | None

    def get(self, name: str) -> OvpnDirective | None:
        """The last occurrence of a directive (OpenVPN lets later lines win)."""
        found = [d for d in self.directives if d.name == name]
        return found[-1] if found else None


@dataclass(frozen=True, slots=True)
class NetworkFacts:
    """The network state; each part is Unknown when it cannot be read."""

    links: dict[str, IpLink] | Unknown
    addrs: tuple[IpAddr, ...] | Unknown
    rules: tuple[RouteRule, ...] | Unknown
    routes: tuple[Route, ...] | Unknown
    forwarding: int | Unknown
    rp_filter: dict[str, int] | Unknown
    rt_tables: dict[str, int]
    openvpn: dict[str, OpenVpnConfig] | Unknown
    origin: str

    def table_id(self, name: str) -> str:
        """A table as the kernel lists it when it has no name (``hma`` -> ``3`` via rt_tables)."""
        return str(self.rt_tables.get(name, name))


@dataclass(frozen=True, slots=True)
class RouteLookups:
    """The kernel's own answers to the profile's path questions (live only)."""

    answers: dict[Query, Answer | Unknown]


def _ip(source: FactSource, json_argv: list[str], parse_json: Callable[[str], list[T]], text_argv: list[str],
        parse_text: Callable[[str], list[T]]) -> tuple[T, ...] | Unknown:
    text = run_command(source, json_argv)
    if isinstance(text, str):
        return then(parsed(parse_json, text, " ".join(json_argv)), tuple)
    if "-j" not in text.reason and "unknown" not in text.reason.lower():
        return text
    # iproute2 older than 4.17 has no -j for rules and routes ('Option "-j" is unknown'): read the text form
    return then(parsed(parse_text, run_command(source, text_argv), " ".join(text_argv)), tuple)


def _openvpn(source: FactSource) -> dict[str, OpenVpnConfig] | Unknown:
    configs: dict[str, OpenVpnConfig] = {}
    for base in OPENVPN_DIRS:
        try:
            names = source.list_dir(base)
        except CannotCheck as err:
            return Unknown(err.reason)
        for name in names or []:
            if not name.endswith(".conf"):
                continue
            path = f"{base}/{name}"
            text = read(source, path)
            if isinstance(text, Unknown):
                return text
            read_directives = parsed(openvpn_conf.parse, text, source.where(path))
            if isinstance(read_directives, Unknown):
                return read_directives
            if not read_directives:
                return Unknown(f"{path} looks broken: it holds no directive at all")
            directives = tuple(read_directives)
            auth = next((d for d in reversed(directives) if d.name == "auth-user-pass"), None)
            auth_file = posixpath.normpath(posixpath.join(base, auth.args[0])) if auth and auth.args else None
            stat: FileStat | Unknown | None = None
            if auth_file:
                try:
                    stat = source.stat(auth_file)
                except CannotCheck as err:
                    stat = Unknown(err.reason)
            key = name.removesuffix(".conf") if base == OPENVPN_DIRS[0] else f"client/{name.removesuffix('.conf')}"
            configs[key] = OpenVpnConfig(path, directives, auth_file, stat)
    return configs


def _sysctl(source: FactSource, path: str) -> int | Unknown:
    text = read(source, path)
    if isinstance(text, Unknown):
        return text
    return int(text.strip()) if text.strip().lstrip("-").isdigit() else Unknown(f"{path} is not a number: {text.strip()!r}")


def collect(source: FactSource) -> NetworkFacts:
    """Read the network state through iproute2, procfs, the NAT tools and /etc."""
    links = then(parsed(ip_json.parse_links, run_command(source, ["ip", "-d", "-j", "link", "show"]), "ip -d -j link show"),
                 lambda found: {link.ifname: link for link in found})
    addrs = then(parsed(ip_json.parse_addrs, run_command(source, ["ip", "-j", "addr", "show"]), "ip -j addr show"), tuple)
    rules = _ip(source, ["ip", "-j", "rule", "show"], ip_json.parse_rules, ["ip", "rule", "show"], ip_text.parse_rules)
    routes = _ip(source, ["ip", "-j", "route", "show", "table", "all"], ip_json.parse_routes,
                 ["ip", "route", "show", "table", "all"], ip_text.parse_routes)
    if not isinstance(routes, Unknown):
        # rules are IPv4 (ip rule lists inet by default); an IPv6 default route must never route IPv4
        routes = tuple(r for r in routes if r.family == "inet")
        if not routes:
            routes = Unknown("the route listing looks broken: it holds no IPv4 route at all (a running machine has at least its local routes)")
    if isinstance(rules, tuple) and not rules:
        rules = Unknown("the rule listing looks broken: it holds no rule at all (the kernel keeps its local, main and default rules)")
    forwarding = _sysctl(source, "/proc/sys/net/ipv4/ip_forward")
    rp: dict[str, int] | Unknown
    try:
        names = source.list_dir("/proc/sys/net/ipv4/conf")
    except CannotCheck as err:
        rp = Unknown(err.reason)
    else:
        rp = {}
        for name in names or []:
            value = _sysctl(source, f"/proc/sys/net/ipv4/conf/{name}/rp_filter")
            if isinstance(value, Unknown):
                rp = value
                break
            rp[name] = value
    tables: dict[str, int] = {}
    for path in ["/etc/iproute2/rt_tables"] + [f"/etc/iproute2/rt_tables.d/{n}" for n in _listing(source, "/etc/iproute2/rt_tables.d")]:
        listed = parsed(rt_tables.parse, read(source, path), source.where(path))
        if not isinstance(listed, Unknown):
            tables.update({t.name: t.id for t in listed})
    return NetworkFacts(links, addrs, rules, routes, forwarding, rp, tables, _openvpn(source), "ip, /proc/sys/net")


def _listing(source: FactSource, path: str) -> list[str]:
    try:
        return [n for n in source.list_dir(path) or [] if n.endswith(".conf")]
    except CannotCheck:
        return []


def route_get(source: FactSource, queries: tuple[Query, ...]) -> RouteLookups:
    """Ask the kernel (``ip -j route get``, read-only) for each query; Unknown where it cannot be asked."""
    answers: dict[Query, Answer | Unknown] = {}
    for q in queries:
        argv = ["ip", "-j", "route", "get", q.dst, "from", q.src] + (["iif", q.iif] if q.iif else [])
        try:
            out = source.run(argv)
        except CannotCheck as err:
            answers[q] = Unknown(err.reason)
            continue
        if out.exit == 127:
            answers[q] = Unknown("ip is not installed")
        elif out.exit != 0:
            message = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.exit}"
            answers[q] = Answer(error=message.removeprefix("RTNETLINK answers: ").strip())
        else:
            try:
                data = json.loads(out.stdout or "[]")
                first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
            except json.JSONDecodeError as err:
                answers[q] = Unknown(broken_input(ParseError("ip_route_get", err.lineno, (out.stdout or "")[:200], "not JSON"), " ".join(argv)),
                                     broken=True)
                continue
            kind = first.get("type", "unicast")
            answers[q] = Answer(dev=first.get("dev"), gateway=first.get("gateway"), table=str(first.get("table", "main")),
                                local=kind in ("local", "broadcast"), route="kernel: " + " ".join(argv))
    return RouteLookups(answers)
