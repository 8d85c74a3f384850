"""A policy-routing evaluator: which way would the kernel send a packet, from recorded state.

It follows Linux's IPv4 FIB, read in net/core/fib_rules.c (fib_rule_match, fib_rules_lookup),
net/ipv4/fib_rules.c (fib4_rule_match, fib4_rule_action, fib4_rule_suppress), net/ipv4/fib_trie.c
(fib_table_lookup), net/ipv4/fib_frontend.c (fib_validate_source, __fib_validate_source),
net/l3mdev/l3mdev.c (l3mdev_update_flow, l3mdev_fib_rule_match) and net/ipv4/route.c
(ip_route_input_slow, ip_route_output_key_hash_rcu, inet_rtm_getroute):

- rules in list order (priority, then the order the kernel lists them), each selector the kernel
  has: from/to prefixes (host bits ignored), iif/oif (a ``[detached]`` interface never matches),
  fwmark/mask, tos (the kernel compares it with the packet's TOS & 0x1c) and dscp/mask, l3mdev
  (the VRF the arrival interface belongs to, and that VRF's table), uidrange, ipproto,
  sport/dport (a port, a range, or value/mask), ``not``; actions lookup, goto (to the first rule
  of the target priority; ``[unresolved]`` goes on), nop, blackhole, unreachable, prohibit; after
  a lookup, ``suppress_prefixlength`` and ``suppress_ifgroup`` (a found route of prefix length
  <= N, or whose first nexthop's device is in the group, is rejected and the rules go on; a
  route-type error is never suppressed);
- tables: the longest prefix whose TOS matches, then the route with a TOS, then the lowest
  metric, then list order; error types (unreachable, blackhole, prohibit) end the look-up, throw
  goes on to the next rule; a nexthop that is ``dead``, or ``linkdown`` where
  ignore_routes_with_linkdown is set, or through a removed device, is passed over; a multipath
  route whose nexthops leave through different devices depends on the flow hash;
- a packet arriving on an interface (``iif``): martian source/destination checks, forwarding
  (conf/IFACE/forwarding, else ip_forward), local and broadcast delivery, and the source check
  of fib_validate_source (rp_filter strict/loose, and with rp_filter 0 the full look-up the
  kernel makes once rules were changed); a packet sent by this host: its source must be one of
  the host's addresses.

What a packet carries (:class:`Query`): mark 0 and TOS 0 unless stated; uid 0 when forwarded
(ip_route_input_slow sets sock_net_uid(net, NULL)), and for a packet this host sends the
sender's uid, unknown unless stated; protocol and ports unknown unless stated (forwarded
packets carry their real ones once any rule selects on them: fib4_rules_early_flow_dissect),
ports 0 for a protocol without ports. No oif (a socket bound to a device is not modelled), no
tunnel metadata. When a rule the packet reaches selects on something the question leaves open,
or something is not modelled (tun_id, an unknown rule word, a route with encap, a VRF whose
table is not known, a sysctl not recorded), the answer is "cannot evaluate" naming the rule or
route, never a path. Assumed: accept_local, route_localnet, src_valid_mark and
ignore_routes_with_linkdown are read per interface where recorded; bc_forwarding off; IPv4 only.

Errors are the kernel's words: ``No route to host`` (EHOSTUNREACH), ``Network is unreachable``
(ENETUNREACH), ``Invalid argument`` (EINVAL; kernels before 6.x said ``Invalid cross-device link``
for a failed reverse-path check), ``Permission denied`` (EACCES). The live self-tests check the
evaluator against ``ip route get`` in network namespaces.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from hwcompat.errors import CannotCheck
from hwcompat.ipnames import PROTOCOLS
from hwcompat.parsers.ip_json import IpAddr, IpLink, Route, RouteRule, dotted_quad, gc_paused

EHOSTUNREACH = "No route to host"
ENETUNREACH = "Network is unreachable"
EINVAL = "Invalid argument"
EACCES = "Permission denied"
# route types (fib_semantics.c fib_props) and rule actions (fib_rules.c fib4_rule_action) fail differently
_ERRORS = {"unreachable": EHOSTUNREACH, "blackhole": EINVAL, "prohibit": EACCES, "nat": EINVAL, "xresolve": EINVAL}
_RULE_ERRORS = {"unreachable": ENETUNREACH, "blackhole": EINVAL, "prohibit": EACCES}
BUILTIN_TABLES = {"local": 255, "main": 254, "default": 253, "unspec": 0}
RP_NAMES = {1: "strict", 2: "loose"}

#: protocols whose first four bytes the flow dissector reads as ports (net/core/flow_dissector.c proto_ports_offset)
PORT_PROTOCOLS = frozenset({6, 17, 33, 50, 51, 132, 136})
#: DS field names of iproute2's etc/iproute2/rt_dsfield (current, and before 2014)
DSFIELD = {
    "default": 0x00, "AF11": 0x28, "AF12": 0x30, "AF13": 0x38, "AF21": 0x48, "AF22": 0x50, "AF23": 0x58, "AF31": 0x68, "AF32": 0x70,
    "AF33": 0x78, "AF41": 0x88, "AF42": 0x90, "AF43": 0x98, "CS1": 0x20, "CS2": 0x40, "CS3": 0x60, "CS4": 0x80, "CS5": 0xA0,
    "CS6": 0xC0, "CS7": 0xE0, "EF": 0xB8, "lowdelay": 0x10, "throughput": 0x08, "reliability": 0x04, "mincost": 0x02,
    "priority": 0x20, "immediate": 0x40, "flash": 0x60, "flash-override": 0x80, "critical": 0xA0, "internet": 0xC0, "network": 0xE0,
}
_DEFAULT_RULES = {(0, "255"), (32766, "254"), (32767, "253")}


@dataclass(frozen=True, slots=True)
class Query:
    """A packet: source, destination, the interface it arrives on (None: sent by this host) and what it carries.

    ``mark``/``tos`` default to 0; ``proto`` (an IP protocol number), ``sport``/``dport`` and, for a
    packet this host sends, ``uid`` are unknown when None: a rule that selects on them makes the
    answer "cannot evaluate".
    """

    src: str
    dst: str
    iif: str | None = None
    mark: int = 0
    tos: int = 0
    proto: int | None = None
    sport: int | None = None
    dport: int | None = None
    uid: int | None = None

    def describe(self) -> str:
        """``from 192.168.6.10 arriving on br6 to 8.8.8.8 (tcp dport 443)``."""
        extra = [f"mark {self.mark:#x}" if self.mark else "", f"tos {self.tos:#x}" if self.tos else "",
                 f"proto {self.proto}" if self.proto is not None else "", f"sport {self.sport}" if self.sport is not None else "",
                 f"dport {self.dport}" if self.dport is not None else "", f"uid {self.uid}" if self.uid is not None else ""]
        shown = " ".join(x for x in extra if x)
        return f"from {self.src}" + (f" arriving on {self.iif}" if self.iif else "") + f" to {self.dst}" + (f" ({shown})" if shown else "")


@dataclass(frozen=True, slots=True)
class Answer:
    """Where it goes: ``dev`` (and ``gateway``) from ``table``, ``local`` delivery, ``error``, or ``unknown``.

    ``unknown`` says why the evaluator cannot decide (naming the rule or route); ``open`` marks
    the reasons that are the question's (something the path leaves open, or the flow hash), which
    the kernel's own ``ip route get`` cannot settle either.
    """

    dev: str | None = None
    gateway: str | None = None
    table: str | None = None
    local: bool = False
    error: str | None = None
    rule: int | None = None
    route: str = ""
    unknown: str | None = None
    open: bool = False

    def describe(self) -> str:
        """In words: ``leaves through tun-hma (table 3, rule 201: default dev tun-hma)``."""
        if self.unknown:
            return f"cannot evaluate: {self.unknown}"
        if self.error:
            why = f" ({self.route})" if self.route and self.rule is None else ""
            return f"dropped: {self.error}" + (f" (rule {self.rule}{': ' + self.route if self.route else ''})" if self.rule is not None else why)
        if self.local:
            return f"delivered to this host (table {self.table})"
        via = f" via {self.gateway}" if self.gateway else ""
        return f"leaves through {self.dev}{via} (table {self.table}, rule {self.rule}: {self.route})"


#: table number -> [(prefix length, {network: [routes, in listing order]})], longest prefix first
RouteIndex = dict[str, list[tuple[int, dict[int, list[Route]]]]]


@dataclass(frozen=True, slots=True)
class Fib:
    """What the evaluator reads: rules, routes, forwarding, conf/*/ sysctls, interfaces, addresses, table names.

    :param rp_filter: ``conf/*/rp_filter`` by interface name, ``all`` included
    :param conf: other ``conf/*/`` values by interface then key (forwarding, src_valid_mark,
        accept_local, route_localnet, ignore_routes_with_linkdown); a missing one is unknown
    :param links: interfaces (VRFs and device groups); None when they could not be read
    :param addrs: addresses; None when they could not be read
    :param tables: rt_tables names
    """

    rules: Sequence[RouteRule]
    routes: Sequence[Route]
    forwarding: bool
    rp_filter: Mapping[str, int]
    conf: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    links: Mapping[str, IpLink] | None = None
    addrs: Sequence[IpAddr] | None = None
    tables: Mapping[str, int] = field(default_factory=dict)
    #: :func:`index_routes` of routes; filled on the first look-up when given empty
    index: RouteIndex = field(default_factory=dict, compare=False, repr=False)


class Undecided(Exception):
    """The evaluator cannot decide: ``reason`` names the rule or route; ``open``: the question leaves it open."""

    def __init__(self, reason: str, open_: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.open = open_


@dataclass(frozen=True, slots=True)
class _Flow:
    src: ipaddress.IPv4Address
    dst: ipaddress.IPv4Address
    iif: str
    mark: int
    tos: int
    proto: int | None
    sport: int | None
    dport: int | None
    uid: int | None
    vrf: str | None


@dataclass(frozen=True, slots=True)
class _Hit:
    """A rule's decision: a route (with its usable nexthops) or an error."""

    rule: int
    table: str = ""
    route: Route | None = None
    hops: tuple[tuple[str | None, str | None], ...] = ()
    error: str | None = None


def table_number(name: str, tables: Mapping[str, int]) -> str:
    """A table's number as text, as iproute2's rtnl_rttable_a2n reads a table name.

    Names first (``main``, ``local``, ``default``, ``unspec``, then /etc/iproute2/rt_tables, whose
    names may be digits), then a number as strtoul(arg, NULL, 0) reads it: ``0254`` is octal 172,
    ``0x10`` is 16. Anything else stays a name that no table has.
    """
    if name in BUILTIN_TABLES:
        return str(BUILTIN_TABLES[name])
    if name in tables:
        return str(tables[name])
    number = _strtoul0(name)
    return name if number is None else str(number)


def _strtoul0(text: str) -> int | None:
    """strtoul(text, &end, 0) when it reads all of text: decimal, 0-prefixed octal or 0x-prefixed hex digits (ASCII)."""
    if text[:2].lower() == "0x":
        digits, base, allowed = text[2:], 16, "0123456789abcdefABCDEF"
    elif text.startswith("0"):
        digits, base, allowed = text, 8, "01234567"
    else:
        digits, base, allowed = text, 10, "0123456789"
    if not digits or any(c not in allowed for c in digits):
        return None
    return int(digits, base)


def prefix(addr: str, plen: int | None) -> tuple[int, int]:
    """A recorded destination as (network, prefix length), host bits dropped as the kernel matches them.

    The common dotted-quad forms are read directly (a full routing table has a million); anything
    else goes through :func:`_net`.
    """
    quad = dotted_quad(addr)
    if quad is not None:
        value, length = quad
        n = length if length is not None else (plen if plen is not None else 32)
        return (value >> (32 - n) << (32 - n) if n else 0), n
    net = _net(addr, plen)
    return int(net.network_address), net.prefixlen


def index_routes(routes: Sequence[Route], tables: Mapping[str, int]) -> RouteIndex:
    """IPv4 routes by table number, then prefix length (longest first), then network, in listing order.

    Built once per listing: a look-up then tries one dictionary per prefix length in use instead
    of every route (a full Internet table has a million).
    """
    grouped: dict[str, dict[int, dict[int, list[Route]]]] = {}
    levels: dict[str, dict[int, dict[int, list[Route]]]] = {}  # by the name the listing uses (a few), to its table's levels
    with gc_paused():
        for r in routes:
            if r.family != "inet":
                continue
            try:
                net, plen = prefix(r.dst, None) if r.dst != "default" else (0, 0)
            except ValueError:  # the parsers refuse such a route; one made elsewhere is said, not guessed around
                raise CannotCheck(f"route {r.dst!r} (table {r.table}) has a destination hwcompat cannot read") from None
            by_len = levels.get(r.table)
            if by_len is None:
                by_len = levels[r.table] = grouped.setdefault(table_number(r.table, tables), {})
            by_len.setdefault(plen, {}).setdefault(net, []).append(r)
    index = {tid: sorted(by_len.items(), reverse=True) for tid, by_len in grouped.items()}
    index[""] = []  # no table is numbered "": marks the index as built, even for a listing without IPv4 routes
    return index


def _table_index(fib: Fib, table: str) -> list[tuple[int, dict[int, list[Route]]]]:
    """One table's level of the route index (built on the first look-up when the Fib was made without one)."""
    if not fib.index:
        fib.index.update(index_routes(fib.routes, fib.tables))
    return fib.index.get(table, [])


def _net(addr: str, plen: int | None) -> ipaddress.IPv4Network:
    if addr == "default":
        return ipaddress.IPv4Network("0.0.0.0/0")
    if addr.startswith("0/"):
        addr = "0.0.0.0" + addr[1:]  # noqa: S104 (an address, not a bind)
    if "/" in addr:
        return ipaddress.IPv4Network(addr, strict=False)
    return ipaddress.IPv4Network(f"{addr}/{plen if plen is not None else 32}", strict=False)


def _dsfield(text: str, where: str, what: str) -> int:
    if text in DSFIELD:
        return DSFIELD[text]
    try:
        return int(text, 0)
    except ValueError:
        raise Undecided(f"{where} selects by {what} {text!r}, a name hwcompat cannot number (/etc/iproute2/rt_dsfield)") from None


def _dscp(text: str, rule: int) -> int:
    """A dscp selector's value: an rt_dsfield name (a DS field, shifted to its DSCP) or a number."""
    return DSFIELD[text] >> 2 if text in DSFIELD else _dsfield(text, f"rule {rule}", "dscp")


def _proto(text: str, where: str) -> int:
    """An IP protocol: a /etc/protocols name, ``ipproto-N`` or a number."""
    name = text.removeprefix("ipproto-")
    if name.isdigit():
        return int(name)
    if name.lower() in PROTOCOLS:
        return PROTOCOLS[name.lower()]
    raise Undecided(f"{where} selects by ipproto {text!r}, a protocol hwcompat cannot number")


def _port_matches(spec: str, port: int) -> bool:
    """fib_rule_port_match: ``N``, ``A-B`` or ``0xV/0xM``."""
    if "/" in spec:
        value, mask = (int(x, 16) for x in spec.split("/"))
        return ((value ^ port) & mask) == 0
    low, _, high = spec.partition("-")
    return int(low) <= port <= int(high or low)


def _port(flow: _Flow, which: str, rule: int) -> int:
    port = flow.sport if which == "sport" else flow.dport
    if flow.proto is not None and flow.proto not in PORT_PROTOCOLS:
        return 0
    if flow.proto is None or port is None:
        raise Undecided(f"rule {rule} selects by {which}, which the path leaves open; say proto: and {which}: in the path", True)
    return port


def _selectors(rule: RouteRule, flow: _Flow, fib: Fib, removed: frozenset[str]) -> bool:
    """fib_rule_match then fib4_rule_match, without ``not``; raises Undecided when a selector cannot be decided."""
    p = rule.priority
    checks: list[bool] = []
    undecided: list[Undecided] = []

    def check(test: object) -> None:
        try:
            checks.append(bool(test() if callable(test) else test))
        except Undecided as err:
            undecided.append(err)

    if rule.unknown:
        check(lambda: _raise(f"rule {p} has {' '.join(rule.unknown)!r}, which hwcompat does not know"))
    if rule.iif is not None:
        check(not rule.iif_detached and rule.iif not in removed and rule.iif == flow.iif)
    if rule.oif is not None:
        check(False)  # no oif: neither forwarded packets nor the packets asked about here carry one
    if rule.fwmark is not None:
        mark, _, mask = rule.fwmark.partition("/")
        check(((int(mark, 16) ^ flow.mark) & (int(mask, 16) if mask else 0xFFFFFFFF)) == 0)
    if rule.tun_id:
        check(lambda: _raise(f"rule {p} selects by tun_id, which hwcompat does not model"))
    if rule.l3mdev:
        check(lambda: _vrf(fib, flow, p) is not None)
    if rule.uidrange is not None:
        low, _, high = rule.uidrange.partition("-")
        check(lambda: int(low) <= _uid(flow, p) <= int(high))
    if rule.src is not None:
        check(flow.src in _net(rule.src, rule.srclen))
    if rule.dst is not None:
        check(flow.dst in _net(rule.dst, rule.dstlen))
    if rule.tos is not None:
        check(lambda: (_dsfield(rule.tos or "", f"rule {p}", "tos") & 0xFC) == (flow.tos & 0x1C))
    if rule.dscp is not None:
        value, _, mask = rule.dscp.partition("/")
        check(lambda: ((_dscp(value, p) ^ (flow.tos >> 2)) & (int(mask, 16) if mask else 0x3F)) == 0)
    if rule.ipproto is not None:
        check(lambda: _proto(rule.ipproto or "", f"rule {p}") == _need_proto(flow, p))
    for which, spec in (("sport", rule.sport), ("dport", rule.dport)):
        if spec is not None:
            check(lambda which=which, spec=spec: _port_matches(spec, _port(flow, which, p)))
    if rule.flowlabel is not None:
        check(lambda: _raise(f"rule {p} selects by flowlabel, which IPv4 packets do not have"))
    if not all(checks):
        return False
    if undecided:
        raise undecided[0]
    return True


def _raise(reason: str) -> bool:
    raise Undecided(reason)


def _need_proto(flow: _Flow, rule: int) -> int:
    if flow.proto is None:
        raise Undecided(f"rule {rule} selects by ipproto, which the path leaves open; say proto: in the path", True)
    return flow.proto


def _uid(flow: _Flow, rule: int) -> int:
    if flow.uid is None:
        raise Undecided(f"rule {rule} selects by uidrange, which the path leaves open; say uid: in the path (the sender's uid)", True)
    return flow.uid


def _vrf(fib: Fib, flow: _Flow, rule: int) -> str | None:
    if flow.vrf == "?":
        raise Undecided(f"rule {rule} is an l3mdev rule and the interfaces could not be read")
    return flow.vrf


def _vrf_of(fib: Fib, dev: str | None) -> str | None:
    """The VRF a device is in (l3mdev_master_upper_ifindex_by_index): itself, or up its chain of masters; ``?`` when unknown."""
    if dev is None or dev == "lo":
        return None
    if fib.links is None:
        return "?"
    seen = set()
    name: str | None = dev
    while name is not None and name not in seen:
        seen.add(name)
        link = fib.links.get(name)
        if link is None:
            return None
        if link.kind == "vrf":
            return name
        name = link.master
    return None


def _text(route: Route) -> str:
    hops = "".join(f" nexthop{' via ' + nh.gateway if nh.gateway else ''} dev {nh.dev}" for nh in route.nexthops)
    return " ".join(x for x in (route.type if route.type != "unicast" else "", route.dst, f"via {route.gateway}" if route.gateway else "",
                                f"dev {route.dev}" if route.dev else "") if x) + hops


def _conf(fib: Fib, dev: str, key: str, what: str) -> int:
    """conf/all OR conf/DEV (IN_DEV_ORCONF); raises Undecided when it was not recorded."""
    values = [fib.conf.get(name, {}).get(key) for name in ("all", dev)]
    if None in values:
        raise Undecided(f"{what} depends on net.ipv4.conf.{dev}.{key}, which was not recorded")
    return max(v or 0 for v in values)


def _lookup(fib: Fib, table: str, flow: _Flow, removed: frozenset[str]) -> tuple[Route, tuple[tuple[str | None, str | None], ...]] | None:
    """fib_table_lookup: the route chosen in one table (with its usable nexthops), or None (none, or every one unusable)."""
    candidates = []
    dst = int(flow.dst)
    for plen, nets in _table_index(fib, table):
        # one network per prefix length holds dst, so the order within its list is the listing order that breaks ties
        for i, r in enumerate(nets.get(dst >> (32 - plen) << (32 - plen) if plen else 0, ())):
            tos = 0
            if r.tos is not None:
                tos = _dsfield(r.tos, f"route {_text(r)}", "tos") & 0xFC
                if tos and tos != (flow.tos & 0x1C):
                    continue
            candidates.append(((-plen, -tos, r.metric, i), r))
    for _, r in sorted(candidates, key=lambda c: c[0]):
        if r.type in _ERRORS or r.type == "throw":
            return r, ()
        if r.unknown:
            raise Undecided(f"route {_text(r)} (table {r.table}) has {'; '.join(r.unknown)}, which hwcompat does not model")
        paths = [(nh.dev, nh.gateway, nh.flags) for nh in r.nexthops] or [(r.dev, r.gateway, r.flags)]
        usable = []
        for dev, gateway, flags in paths:
            if (dev is not None and dev in removed) or "dead" in flags:
                continue
            if "linkdown" in flags and dev is not None and _conf(fib, dev, "ignore_routes_with_linkdown", f"route {_text(r)}"):
                continue
            usable.append((dev, gateway))
        if usable:
            return r, tuple(usable)
    return None


def _resolve(fib: Fib, flow: _Flow, removed: frozenset[str]) -> _Hit | None:
    """fib_rules_lookup: the first rule that decides, or None (ESRCH: Network is unreachable)."""
    rules = sorted(fib.rules, key=lambda r: r.priority)
    i = 0
    while i < len(rules):
        rule = rules[i]
        if _selectors(rule, flow, fib, removed) == rule.not_:
            i += 1
            continue
        if rule.action == "goto":
            target = next((j for j, r in enumerate(rules) if r.priority == rule.goto), None) if not rule.unresolved else None
            i = target if target is not None else i + 1
            continue
        if rule.action == "nop":
            i += 1
            continue
        if rule.action in _RULE_ERRORS:
            return _Hit(rule.priority, error=_RULE_ERRORS[rule.action])
        if rule.action is not None:
            raise Undecided(f"rule {rule.priority}'s action {rule.action!r} is not modelled")
        table = _rule_table(fib, rule, flow)
        found = _lookup(fib, table, flow, removed)
        if found is None or found[0].type == "throw":
            i += 1
            continue
        route, hops = found
        if route.type in _ERRORS:
            return _Hit(rule.priority, route.table, route, error=_ERRORS[route.type])
        if _suppressed(fib, rule, route, hops):
            i += 1
            continue
        return _Hit(rule.priority, route.table, route, hops)
    return None


def _rule_table(fib: Fib, rule: RouteRule, flow: _Flow) -> str:
    if rule.l3mdev:
        vrf = _vrf(fib, flow, rule.priority)
        if vrf is None:
            return "254"  # a "not l3mdev" rule outside a VRF: arg->table is 0, and fib_get_table takes 0 for main
        link = fib.links.get(vrf) if fib.links is not None else None
        if link is None or link.vrf_table is None:
            raise Undecided(f"rule {rule.priority} looks up the table of VRF {vrf}, which was not recorded")
        return str(link.vrf_table)
    table = table_number(rule.table or "main", fib.tables)
    return "254" if table == "0" else table  # fib_get_table: table 0 is main


def _suppressed(fib: Fib, rule: RouteRule, route: Route, hops: tuple[tuple[str | None, str | None], ...]) -> bool:
    """fib4_rule_suppress: the route's prefix length is <= suppress_prefixlength, or its first nexthop's device is in suppress_ifgroup."""
    if rule.suppress_prefixlen is not None and prefix(route.dst, None)[1] <= rule.suppress_prefixlen:
        return True
    if rule.suppress_ifgroup is None:
        return False
    dev = (route.nexthops[0].dev if route.nexthops else route.dev) or (hops[0][0] if hops else None)
    link = fib.links.get(dev) if fib.links is not None and dev else None
    if link is None or link.group is None:
        raise Undecided(f"rule {rule.priority} suppresses routes through device group {rule.suppress_ifgroup}, and the group of {dev} "
                        "was not recorded")
    return _group(link.group) == _group(rule.suppress_ifgroup)


def _group(name: str) -> str:
    return "0" if name == "default" else name


def _answer(hit: _Hit) -> Answer:
    """A unicast decision in words; a multipath route over several devices depends on the flow hash."""
    assert hit.route is not None
    devs = sorted({dev or "?" for dev, _ in hit.hops})
    if len(devs) > 1:
        raise Undecided(f"route {_text(hit.route)} (table {hit.table}, rule {hit.rule}) spreads flows over {', '.join(devs)}: which one "
                        "a packet takes depends on the flow hash", True)
    gateways = {gw for _, gw in hit.hops}
    return Answer(dev=devs[0], gateway=gateways.pop() if len(gateways) == 1 else None, table=hit.table, rule=hit.rule, route=_text(hit.route))


def _flow(fib: Fib, q: Query, src: str, dst: str, iif: str | None, mark: int, ports: tuple[int | None, int | None], vrf_of: str | None) -> _Flow:
    return _Flow(ipaddress.IPv4Address(src), ipaddress.IPv4Address(dst), iif or "lo", mark, q.tos, q.proto, ports[0], ports[1],
                 0 if q.iif else q.uid, _vrf_of(fib, vrf_of))


def _local_addresses(fib: Fib, removed: frozenset[str], why: str) -> set[ipaddress.IPv4Address]:
    if fib.addrs is None:
        raise Undecided(f"{why} needs the host's addresses, which could not be read")
    return {ipaddress.IPv4Address(a.local) for a in fib.addrs if a.family == "inet" and a.ifname not in removed}


def route_packet(fib: Fib, q: Query, removed: frozenset[str] = frozenset()) -> Answer:
    """What happens to a packet: the FIB decision, and for arrivals forwarding and the source check.

    :param removed: interfaces treated as gone (their routes are ignored, rules naming them detached)
    """
    try:
        return _input(fib, q, removed) if q.iif else _output(fib, q, removed)
    except Undecided as err:
        return Answer(unknown=err.reason, open=err.open)


def _output(fib: Fib, q: Query, removed: frozenset[str]) -> Answer:
    """ip_route_output_key_hash_rcu, as ``ip route get DST from SRC`` asks it."""
    src, dst = ipaddress.IPv4Address(q.src), ipaddress.IPv4Address(q.dst)
    if src.is_multicast or src == ipaddress.IPv4Address("255.255.255.255") or src in ipaddress.IPv4Network("0.0.0.0/8"):
        return Answer(error=EINVAL, route=f"{q.src} cannot be a source address")
    if src not in _local_addresses(fib, removed, f"a packet sent from {q.src}"):
        # ENETUNREACH since Linux 4.13 (route.c: "rth = ERR_PTR(-ENETUNREACH)" before __ip_dev_find); EINVAL before
        return Answer(error=ENETUNREACH, route=f"{q.src} is not an address of this host (for traffic it forwards, say iif:)")
    if dst.is_multicast or dst == ipaddress.IPv4Address("255.255.255.255"):
        raise Undecided(f"{q.dst} is a multicast or broadcast destination, which hwcompat does not model")
    hit = _resolve(fib, _flow(fib, q, q.src, q.dst, None, q.mark, (q.sport, q.dport), None), removed)
    if hit is None:
        return Answer(error=ENETUNREACH)
    if hit.error:
        return Answer(table=hit.table or None, error=hit.error, rule=hit.rule, route=_text(hit.route) if hit.route else "")
    assert hit.route is not None
    if hit.route.type == "local":
        return Answer(dev="lo", table=hit.table, local=True, rule=hit.rule, route=_text(hit.route))
    if hit.route.type != "unicast":
        raise Undecided(f"route {_text(hit.route)} (table {hit.table}) is of type {hit.route.type}, which hwcompat does not model "
                        "for traffic this host sends")
    return _answer(hit)


def _input(fib: Fib, q: Query, removed: frozenset[str]) -> Answer:
    """ip_route_input_slow, as ``ip route get DST from SRC iif IF`` asks it."""
    assert q.iif is not None
    src, dst = ipaddress.IPv4Address(q.src), ipaddress.IPv4Address(q.dst)
    zeronet, lbcast = ipaddress.IPv4Network("0.0.0.0/8"), ipaddress.IPv4Address("255.255.255.255")
    if dst.is_multicast:
        raise Undecided(f"{q.dst} is a multicast destination, which hwcompat does not model")
    if src.is_multicast or src == lbcast:
        return Answer(error=EINVAL, route=f"martian source {q.src}")
    if dst == lbcast or (int(src) == 0 and int(dst) == 0):
        # brd_input: the source is checked (against destination 0) unless it is 0.0.0.0
        failed = _source_check(fib, q, None, removed, "0.0.0.0") if int(src) else ""  # noqa: S104 (an address, not a bind)
        return Answer(error=EINVAL, route=failed) if failed else Answer(dev="lo", local=True, route="limited broadcast")
    if int(src) == 0 or int(dst) == 0:
        return Answer(error=EINVAL, route=f"martian {'source ' + q.src if int(src) == 0 else 'destination ' + q.dst}")
    if src in zeronet or dst in zeronet:
        # ipv4_is_zeronet was 0.0.0.0/8 until Linux 5.3 (commit 96125bf9985a, "Allow 0.0.0.0/8 as a valid address range"); now 0.0.0.0
        raise Undecided(f"{q.src if src in zeronet else q.dst} is in 0.0.0.0/8, which Linux before 5.3 refuses as martian and later "
                        "kernels route like any address")
    if (src.is_loopback or dst.is_loopback) and not _conf(fib, q.iif, "route_localnet", f"a loopback address arriving on {q.iif}"):
        return Answer(error=EINVAL, route=f"martian {'destination ' + q.dst if dst.is_loopback else 'source ' + q.src} (route_localnet is off)")
    forwarding = fib.forwarding
    if q.iif in fib.conf and "forwarding" in fib.conf[q.iif]:
        forwarding = bool(fib.conf[q.iif]["forwarding"])
    off = Answer(error=EHOSTUNREACH, route=f"forwarding is off (net.ipv4.conf.{q.iif}.forwarding=0)")
    hit = _resolve(fib, _flow(fib, q, q.src, q.dst, q.iif, q.mark, (q.sport, q.dport), q.iif), removed)
    if hit is None:
        return Answer(error=ENETUNREACH) if forwarding else off
    if hit.error:
        if not forwarding:
            return replace(off, rule=hit.rule)
        return Answer(table=hit.table or None, error=hit.error, rule=hit.rule, route=_text(hit.route) if hit.route else "")
    assert hit.route is not None
    if hit.route.type in ("broadcast", "local"):
        # brd_input checks the source against destination 0, local_input against the destination
        failed = _source_check(fib, q, None, removed, "0.0.0.0" if hit.route.type == "broadcast" else q.dst)  # noqa: S104 (an address)
        if failed:
            return Answer(error=EINVAL, rule=hit.rule, route=failed)
        return Answer(dev="lo", table=hit.table, local=True, rule=hit.rule, route=_text(hit.route))
    if not forwarding:
        return replace(off, rule=hit.rule)
    if hit.route.type != "unicast":
        return Answer(error=EINVAL, rule=hit.rule, route=f"martian destination: route {_text(hit.route)} is of type {hit.route.type}")
    answer = _answer(hit)
    failed = _source_check(fib, q, answer.dev, removed, q.dst)
    return Answer(error=EINVAL, rule=hit.rule, route=failed) if failed else answer


def _source_check(fib: Fib, q: Query, oif: str | None, removed: frozenset[str], dst: str) -> str:
    """fib_validate_source: '' when the source is accepted, else why not.

    The way back is looked up from ``dst`` (the destination, 0.0.0.0 for a broadcast) to the
    source, arriving on the forward route's device (lo for local delivery), with mark 0 unless
    src_valid_mark is set, ports swapped.
    """
    assert q.iif is not None
    mode = max(fib.rp_filter.get("all", 0), fib.rp_filter.get(q.iif, 0))
    default_rules = {(r.priority, table_number(r.table or "", fib.tables)) for r in fib.rules} == _DEFAULT_RULES and len(fib.rules) == 3
    mark = q.mark if q.mark and _conf(fib, q.iif, "src_valid_mark", "the reverse-path look-up of a marked packet") else 0
    back_flow = replace(_flow(fib, q, dst, q.src, oif, mark, (q.dport, q.sport), q.iif), uid=0)
    name = RP_NAMES.get(mode, "off")
    hit = _resolve(fib, back_flow, removed)
    if hit is None or hit.error:
        way = "has no route" if hit is None else f"is dropped ({hit.error}, rule {hit.rule})"
        return f"reverse-path check ({name}) failed: the way back to {q.src} {way}" if mode else ""
    assert hit.route is not None
    if hit.route.type != "unicast" and not (hit.route.type == "local" and _conf(fib, q.iif, "accept_local", "the source check")):
        if not mode and default_rules and oif != q.iif and hit.route.type != "local":
            # with rp_filter off the kernel only looks the way back up once rules or local routes were changed since boot
            raise Undecided(f"whether {q.src} is accepted on {q.iif} depends on whether rules were ever changed since boot "
                            f"(the way back is a {hit.route.type} route)")
        return f"martian source: the way back to {q.src} is a {hit.route.type} route ({_text(hit.route)})"
    devs = {dev for dev, _ in hit.hops}
    if q.iif in devs or (hit.route.type == "local" and q.iif == "lo"):
        return ""
    has_addr = any(a.ifname == q.iif and a.family == "inet" for a in fib.addrs or ()) if fib.addrs is not None else None
    if has_addr is None and mode:
        raise Undecided(f"the reverse-path check on {q.iif} needs its addresses, which could not be read")
    if mode == 1 or (mode and not has_addr):
        back = f"leaves through {', '.join(sorted(d or '?' for d in devs))} (table {hit.table}, rule {hit.rule}: {_text(hit.route)})"
        return f"reverse-path check ({name}) failed: the way back {back}" + ("" if has_addr else f", and {q.iif} has no IPv4 address")
    return ""
