"""A policy-routing evaluator: which way would the kernel send a packet, from recorded state.

It follows Linux's IPv4 FIB (net/ipv4/fib_rules.c, fib_trie.c, route.c) as far as hwcompat's
checks need: rules in priority order (from/to prefixes matched by their length, host bits
ignored; iif; fwmark rules never match an unmarked packet; ``not``), rule actions (lookup,
blackhole, unreachable, prohibit), per-table longest-prefix match with the lowest metric,
route types (unicast, local, broadcast, unreachable, blackhole, prohibit, throw), forwarding
(``ip_forward``) for packets arriving on an interface, and reverse-path filtering (strict: the
way back must leave through the arrival interface; loose: there must be a way back). The live
self-tests check it against ``ip route get`` in network namespaces.

Errors are the kernel's words: ``No route to host`` (EHOSTUNREACH), ``Network is unreachable``
(ENETUNREACH), ``Invalid argument`` (EINVAL), ``Permission denied`` (EACCES).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hwcompat.parsers.ip_json import Route, RouteRule

EHOSTUNREACH = "No route to host"
ENETUNREACH = "Network is unreachable"
EINVAL = "Invalid argument"
EACCES = "Permission denied"
# route types (fib_semantics.c fib_props) and rule actions (fib_rules.c) fail differently
_ERRORS = {"unreachable": EHOSTUNREACH, "blackhole": EINVAL, "prohibit": EACCES}
_RULE_ERRORS = {"unreachable": ENETUNREACH, "blackhole": EINVAL, "prohibit": EACCES}


@dataclass(frozen=True, slots=True)
class Query:
    """A packet: source, destination, and the interface it arrives on (None: sent by this host)."""

    src: str
    dst: str
    iif: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """Where it goes: ``dev`` (and ``gateway``) from ``table``, ``local`` delivery, or ``error``."""

    dev: str | None = None
    gateway: str | None = None
    table: str | None = None
    local: bool = False
    error: str | None = None
    rule: int | None = None
    route: str = ""

    def describe(self) -> str:
        """In words: ``leaves through tun-hma (table 3, default dev tun-hma)``."""
        if self.error:
            return f"dropped: {self.error}" + (f" (rule {self.rule})" if self.rule is not None else "")
        if self.local:
            return f"delivered to this host (table {self.table})"
        via = f" via {self.gateway}" if self.gateway else ""
        return f"leaves through {self.dev}{via} (table {self.table}, rule {self.rule}: {self.route})"


def _net(addr: str | None, plen: int | None) -> ipaddress.IPv4Network | None:
    if addr is None:
        return None
    if addr == "default":
        return ipaddress.IPv4Network("0.0.0.0/0")
    if "/" in addr:
        return ipaddress.IPv4Network(addr, strict=False)
    return ipaddress.IPv4Network(f"{addr}/{plen if plen is not None else 32}", strict=False)


def _rule_matches(rule: RouteRule, q: Query) -> bool:
    src, dst = ipaddress.IPv4Address(q.src), ipaddress.IPv4Address(q.dst)
    ok = True
    net = _net(rule.src, rule.srclen)
    if net is not None and src not in net:
        ok = False
    net = _net(rule.dst, rule.dstlen)
    if net is not None and dst not in net:
        ok = False
    if rule.iif is not None and rule.iif != (q.iif or "lo"):
        ok = False
    if rule.oif is not None:
        ok = False  # only locally generated packets bound to an interface match oif rules
    if rule.fwmark is not None and int(rule.fwmark.split("/")[0], 16) != 0:
        ok = False
    return ok != rule.not_


def _table_lookup(routes: Sequence[Route], table: str, dst: str, removed: frozenset[str]) -> Route | None:
    addr = ipaddress.IPv4Address(dst)
    best: tuple[int, int, int] | None = None
    found = None
    for i, r in enumerate(routes):
        if r.family != "inet" or r.table != table or (r.dev is not None and r.dev in removed):
            continue
        try:
            net = _net(r.dst, None)
        except ValueError:
            continue
        if net is None or addr not in net or net.version != 4:
            continue
        key = (-net.prefixlen, r.metric, i)
        if best is None or key < best:
            best, found = key, r
    return found


def resolve(rules: Sequence[RouteRule], routes: Sequence[Route], q: Query, removed: frozenset[str] = frozenset()) -> Answer:
    """The FIB decision for one packet, before forwarding and source checks."""
    for rule in sorted(rules, key=lambda r: r.priority):
        if not _rule_matches(rule, q):
            continue
        if rule.action in _RULE_ERRORS:
            return Answer(error=_RULE_ERRORS[rule.action], rule=rule.priority)
        if rule.table is None:
            continue
        route = _table_lookup(routes, rule.table, q.dst, removed)
        if route is None or route.type == "throw":
            continue
        text = " ".join(x for x in (route.type if route.type != "unicast" else "", route.dst, f"via {route.gateway}" if route.gateway else "",
                                    f"dev {route.dev}" if route.dev else "") if x)
        if route.type in _ERRORS:
            return Answer(table=route.table, error=_ERRORS[route.type], rule=rule.priority, route=text)
        if route.type in ("local", "broadcast"):
            return Answer(dev=route.dev, table=route.table, local=True, rule=rule.priority, route=text)
        return Answer(dev=route.dev, gateway=route.gateway, table=route.table, rule=rule.priority, route=text)
    return Answer(error=ENETUNREACH)


def route_packet(rules: Sequence[RouteRule], routes: Sequence[Route], q: Query, forwarding: bool,
                 rp_filter: Mapping[str, int], removed: frozenset[str] = frozenset()) -> Answer:
    """What happens to a packet, including forwarding and reverse-path filtering for arrivals.

    The order is the kernel's (net/ipv4/route.c ip_route_input_slow): a failed lookup, or any
    forwarded packet while forwarding is off, is EHOSTUNREACH; local delivery and forwarding then
    validate the source (fib.c __fib_validate_source).

    :param rp_filter: ``conf/*/rp_filter`` values by interface name, ``all`` included
    :param removed: interfaces treated as gone (their routes are ignored)
    """
    answer = resolve(rules, routes, q, removed)
    if q.iif is None:
        return answer
    if answer.error:
        return answer if forwarding else Answer(error=EHOSTUNREACH, rule=answer.rule, route="forwarding is off (net.ipv4.ip_forward=0)")
    if not answer.local and not forwarding:
        return Answer(error=EHOSTUNREACH, rule=answer.rule, route="forwarding is off (net.ipv4.ip_forward=0)")
    mode = max(rp_filter.get("all", 0), rp_filter.get(q.iif, 0))
    if mode:
        # route.c __mkroute_input hands the forward route's output device to fib_validate_source,
        # which uses it as the reverse look-up's iif; local delivery uses lo
        back = resolve(rules, routes, Query(q.dst, q.src, None if answer.local else answer.dev), removed)
        # the way back must be a unicast route; strict mode also wants it through the arrival interface
        ok = not back.error and not back.local and (mode == 2 or back.dev == q.iif)
        if not ok:
            return Answer(error=EINVAL, rule=answer.rule, route=f"reverse-path check ({RP_NAMES.get(mode, mode)}) failed: the way back {back.describe()}")
    return answer


RP_NAMES = {1: "strict", 2: "loose"}
