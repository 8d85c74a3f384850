"""Network facts: interfaces, addresses, policy rules, routes, forwarding, rp_filter, OpenVPN.

Also the other ``conf/*/`` sysctls the routing evaluator needs, routing-table names, and OpenVPN
configs with the metadata of their credential files (NAT is :mod:`hwcompat.facts.nat`).

Rules and routes are read from ``ip -j rule show`` / ``ip -j route show table all``. Where that
is not JSON they are read as text, and ``rules_from``/``routes_from`` say which form was read:
iproute2 4.14-4.16 (Ubuntu 18.04's 4.15) accept ``-j`` and print text with exit 0 (JSON for
rules and routes came in 4.17, commits 663c3cb2 and 0dd4ccc5); older ones refuse ``-j`` and the
text command is run; 4.17-4.20 print invalid JSON for non-unicast routes (iproute2 issue #37)
and the text command is run. ``ip route get`` answers are read the same way.

Credential files (``auth-user-pass``) are only ever stat'ed, live and in snapshots.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from hwcompat.errors import CannotCheck, ParseError
from hwcompat.facts import Unknown, broken_input, known, parsed, read, run_command, then
from hwcompat.parsers import ip_json, ip_link_text, ip_text, openvpn_conf, rt_tables
from hwcompat.parsers.ip_json import IpAddr, IpLink, Route, RouteRule
from hwcompat.parsers.openvpn_conf import OvpnDirective
from hwcompat.routing import BUILTIN_TABLES, Answer, Fib, Query, RouteIndex, index_routes
from hwcompat.sources.base import FactSource, FileStat

T = TypeVar("T")
OPENVPN_DIRS = ("/etc/openvpn", "/etc/openvpn/client")
#: conf/IFACE/ sysctls besides rp_filter that decide where a packet goes (net/ipv4/devinet.c)
CONF_KEYS = ("forwarding", "src_valid_mark", "accept_local", "route_localnet", "ignore_routes_with_linkdown")


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
    conf: dict[str, dict[str, int]] | Unknown = field(default_factory=dict)
    rules_from: str = "ip -j rule show"
    routes_from: str = "ip -j route show table all"
    links_from: str = "ip -d -j link show"
    addrs_from: str = "ip -j addr show"
    _fib: list[Fib] = field(default_factory=list, compare=False, repr=False)  # built once: its route index serves every item

    _index: RouteIndex = field(default_factory=dict, compare=False, repr=False)  # built once, for the route items and the evaluator

    def table_id(self, name: str) -> str:
        """A table as the kernel lists it when it has no name (``main`` -> ``254``, ``hma`` -> ``3`` via rt_tables)."""
        return str(BUILTIN_TABLES[name]) if name in BUILTIN_TABLES else str(self.rt_tables.get(name, name))

    def route_index(self) -> RouteIndex:
        """The IPv4 routes by table, prefix length and network (routing.index_routes). Raises CannotCheck when the routes are unknown."""
        if not self._index:
            self._index.update(index_routes(known(self.routes), self.rt_tables))
        return self._index

    def fib(self) -> Fib:
        """What the routing evaluator reads. Raises CannotCheck when rules, routes, forwarding or rp_filter are unknown."""
        if not self._fib:
            links = None if isinstance(self.links, Unknown) else self.links
            addrs = None if isinstance(self.addrs, Unknown) else self.addrs
            conf = {} if isinstance(self.conf, Unknown) else self.conf
            self._fib.append(Fib(known(self.rules), known(self.routes), bool(known(self.forwarding)), known(self.rp_filter), conf, links, addrs,
                                 self.rt_tables, self.route_index()))
        return self._fib[0]


@dataclass(frozen=True, slots=True)
class RouteLookups:
    """The kernel's own answers to the profile's path questions (live only)."""

    answers: dict[Query, Answer | Unknown]


#: what iproute2 before 4.14 says to -j, on stderr, exiting 255 (ip/ip.c; the same text from 3.10 to 4.13)
NO_JSON = 'Option "-j" is unknown'


def _ip(source: FactSource, json_argv: list[str], parse_json: Callable[[str], list[T]], text_argv: list[str],
        parse_text: Callable[[str], list[T]]) -> tuple[tuple[T, ...] | Unknown, str]:
    """Links, addresses, rules or routes, and how they were read (the JSON command, its text, or the text command)."""
    cmd, text_cmd = " ".join(json_argv), " ".join(text_argv)
    out = run_command(source, json_argv)
    if isinstance(out, str) and out.strip() and out.lstrip()[0] not in "[{":
        # iproute2 4.14-4.16 accept -j for rules and routes and print text (exit 0)
        how = f"{cmd} (printed text: iproute2 4.14-4.16 have no JSON for this)"
        return then(parsed(parse_text, out, how), tuple), how
    if isinstance(out, str):
        try:
            return tuple(parse_json(out)), f"{cmd} (JSON)"
        except ip_json.BareRouteType as err:
            reason = err.reason  # 4.17-4.20: invalid JSON for non-unicast routes; the text form is fine
        except ParseError as err:
            return Unknown(broken_input(err, cmd), broken=True), cmd
    elif NO_JSON not in out.reason:
        return out, cmd  # not recorded, needs root...: the JSON command's own reason, not the text one's
    else:
        reason = "no -j: iproute2 older than 4.14"
    how = f"{text_cmd} (text; {cmd}: {reason})"
    return then(parsed(parse_text, run_command(source, text_argv), text_cmd), tuple), how


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
    # the text forms keep -d: without it iproute2 prints no kinds, and ip_link_text refuses such a listing
    found_links, links_from = _ip(source, ["ip", "-d", "-j", "link", "show"], ip_json.parse_links, ["ip", "-d", "link", "show"], ip_link_text.parse_links)
    links = then(found_links, lambda found: {link.ifname: link for link in found})
    addrs, addrs_from = _ip(source, ["ip", "-j", "addr", "show"], ip_json.parse_addrs, ["ip", "addr", "show"], ip_link_text.parse_addrs)
    # the loopback interface is always there, with 127.0.0.1: a listing without any is not of a running machine
    if isinstance(found_links, tuple) and not found_links:
        links = Unknown("the interface listing looks broken: it holds no interface at all (lo is always there)")
    if isinstance(addrs, tuple) and not addrs:
        addrs = Unknown("the address listing looks broken: it holds no address at all (lo has 127.0.0.1)")
    rules, rules_from = _ip(source, ["ip", "-j", "rule", "show"], ip_json.parse_rules, ["ip", "rule", "show"], ip_text.parse_rules)
    routes, routes_from = _ip(source, ["ip", "-j", "route", "show", "table", "all"], ip_json.parse_routes,
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
    conf: dict[str, dict[str, int]] | Unknown
    try:
        names = source.list_dir("/proc/sys/net/ipv4/conf")
    except CannotCheck as err:
        rp = conf = Unknown(err.reason)
    else:
        rp, conf = {}, {}
        for name in names or []:
            value = _sysctl(source, f"/proc/sys/net/ipv4/conf/{name}/rp_filter")
            if isinstance(value, Unknown):
                rp = value
                break
            rp[name] = value
            # the others are read where recorded; one that is missing is unknown to the evaluator, which says so when it matters
            found = {key: _sysctl(source, f"/proc/sys/net/ipv4/conf/{name}/{key}") for key in CONF_KEYS}
            conf[name] = {key: v for key, v in found.items() if not isinstance(v, Unknown)}
    tables: dict[str, int] = {}
    for path in ["/etc/iproute2/rt_tables"] + [f"/etc/iproute2/rt_tables.d/{n}" for n in _listing(source, "/etc/iproute2/rt_tables.d")]:
        listed = parsed(rt_tables.parse, read(source, path), source.where(path))
        if not isinstance(listed, Unknown):
            tables.update({t.name: t.id for t in listed})
    return NetworkFacts(links, addrs, rules, routes, forwarding, rp, tables, _openvpn(source), f"{rules_from}; {routes_from}; /proc/sys/net",
                        conf, rules_from, routes_from, links_from, addrs_from)


def _listing(source: FactSource, path: str) -> list[str]:
    try:
        return [n for n in source.list_dir(path) or [] if n.endswith(".conf")]
    except CannotCheck:
        return []


def get_argv(q: Query, json: bool = True) -> list[str]:
    """``ip [-j] route get DST from SRC [iif IF] [mark M] [tos T] [ipproto P] [sport S] [dport D] [uid U]`` for one query."""
    argv = ["ip", "-j", "route", "get", q.dst, "from", q.src] if json else ["ip", "route", "get", q.dst, "from", q.src]
    argv += ["iif", q.iif] if q.iif else []
    argv += ["mark", f"{q.mark:#x}"] if q.mark else []
    argv += ["tos", f"{q.tos:#x}"] if q.tos else []
    argv += ["ipproto", str(q.proto)] if q.proto is not None else []
    argv += ["sport", str(q.sport)] if q.sport is not None else []
    argv += ["dport", str(q.dport)] if q.dport is not None else []
    argv += ["uid", str(q.uid)] if q.uid is not None and not q.iif else []
    return argv


def _ask(source: FactSource, argv: list[str]) -> Answer | Unknown:
    """One ``ip route get``: the kernel's answer, its error, or Unknown."""
    try:
        out = source.run(argv)
    except CannotCheck as err:
        return Unknown(err.reason)
    if out.exit == 127:
        return Unknown("ip is not installed")
    if out.exit != 0:
        message = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.exit}"
        return Answer(error=message.removeprefix("RTNETLINK answers: ").strip(), route="kernel: " + " ".join(argv))
    text = out.stdout or ""
    try:
        # iproute2 4.14-4.16 print text for -j (and older ones are asked without it)
        route = ip_json.parse_route_get(text) if text.lstrip()[:1] in ("[", "{") else ip_text.parse_route_get(text)
    except ParseError as err:
        return Unknown(broken_input(err, " ".join(argv)), broken=True)
    return Answer(dev=route.dev, gateway=route.gateway, table=route.table, local=route.type in ("local", "broadcast"),
                  route="kernel: " + " ".join(argv))


def route_get(source: FactSource, queries: tuple[Query, ...]) -> RouteLookups:
    """Ask the kernel (``ip -j route get``, read-only) for each query; Unknown where it cannot be asked.

    Where ``-j`` is refused (iproute2 older than 4.14) or prints invalid JSON (4.17-4.20 for a
    local answer, iproute2 issue #37), the text form ``ip route get`` is asked instead.
    """
    answers: dict[Query, Answer | Unknown] = {}
    for q in queries:
        answer = _ask(source, get_argv(q))
        refused = isinstance(answer, Answer) and answer.error and NO_JSON in answer.error
        bare = isinstance(answer, Unknown) and answer.broken and "without its key" in answer.reason
        answers[q] = _ask(source, get_argv(q, json=False)) if refused or bare else answer
    return RouteLookups(answers)
