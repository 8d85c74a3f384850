"""Source NAT judged as the kernel decides it: every nat chain at the IPv4 postrouting hook, walked for one question.

How the kernel decides (Linux 6.x; the scheme dates from 5.1):

- ``nf_nat_inet_fn`` (net/netfilter/nf_nat_core.c) runs, for the first packet of a connection
  (conntrack NEW or RELATED), every nat hook entry registered at NF_INET_POST_ROUTING, in priority
  order (``nf_nat_register_fn`` keeps them in one list per hook). After each entry: a verdict
  other than ACCEPT (DROP) is returned at once; if the entry set up a mapping
  (``nf_nat_initialized``: MASQUERADE, SNAT), ``goto do_nat`` and no later entry runs; otherwise
  the next entry runs. When none set one up, ``nf_nat_alloc_null_binding`` keeps the source.
  So an ACCEPT or a RETURN in one nat chain ends that chain only: a later nat chain at the same
  hook still gets the packet, and the first chain that masquerades or source-NATs wins.
- The entries: the x_tables nat table (net/ipv4/netfilter/iptable_nat.c, ``nf_nat_ipv4_ops``:
  POSTROUTING at NF_IP_PRI_NAT_SRC = 100, through ``ipt_do_table``) and every nftables base
  chain of type nat at that hook, in the ip and inet families (net/netfilter/nft_chain_nat.c:
  ``nft_chain_nat_ipv4``, and ``nft_chain_nat_inet`` through ``nf_nat_inet_register_fn``, which
  registers inet chains for IPv4 too), at its own priority (nft's ``srcnat`` is 100; iptables-nft
  makes its POSTROUTING at 100). ip6, bridge and netdev chains never see an IPv4 packet here.
- Entries of equal priority run in reverse order of registration (net/netfilter/core.c,
  ``nf_hook_entries_grow`` puts a new entry before those of the same priority), which no listing
  shows: iptables' legacy nat table and iptables-nft's POSTROUTING are both at 100. Such entries
  are taken in every order; only where that changes the outcome is it "cannot check".
- Inside one entry, rules run in order (``ipt_do_table``, ``nft_do_chain``): the first rule whose
  conditions hold and whose statement ends the chain decides. ``-j CHAIN``/``jump`` comes back
  after the called chain's RETURN or end; ``-g``/``goto`` does not (the called chain's RETURN
  returns from the chain that did the goto); a RETURN from, or the end of, a base chain applies
  its policy. A verdict map (``oifname vmap {...}``) is a rule whose statement is the verdict of
  the element the key finds; no element: the rule does not match.

The question is a set of packets: IPv4, leaving through one interface, from a source network (the
profile's ``from:``; any when not given), to a destination network (``to:``; any), arriving on
``iif:`` (any), any protocol and port. Each condition of a rule is, for that set, true (for every
packet), false (for none) or unknown (for some only, or hwcompat cannot tell). A rule with an
unknown condition is walked both ways, and the answer is the set of every outcome reachable:
all of one kind is a verdict; a mix is "cannot check", naming the first rule, in walk order, whose
two ways lead to different outcomes. Conditions are taken as independent, which can only add
outcomes: a verdict is never wrong, at worst it is "cannot check".

Modelled: output and input interface names (iptables ``+`` and nft ``*`` wildcards), source and
destination addresses, prefixes, ranges, anonymous and named sets (not ``dynamic`` ones, which the
packet path fills), verdict maps, ``meta nfproto``/``ip version``/``ip6 ...`` (an IPv6 match never
holds here), ``-m comment``; the verdicts accept, drop, return, jump, goto, continue; masquerade,
snat (and ``SNAT``/``NETMAP``/``MASQUERADE`` xt targets); LOG, MARK, CONNMARK, counter, log and
the like go on to the next statement. A MASQUERADE counts as masquerading (the kernel drops the
packet instead where the interface has no IPv4 address: nf_nat_masquerade_ipv4). Everything else
(conntrack, marks, ipset, addrtype, fib, limit, ports and protocols, xt matches nft cannot show,
a NAT address from a map lookup, unknown targets and statements) is unknown, and named when it
may decide. Filter chains at postrouting are not walked: they may drop a packet, never NAT it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from itertools import groupby
from typing import Any

from hwcompat.parsers.iptables_save import IptRule, IptTable
from hwcompat.parsers.nft_json import NftRule, NftSet, NftTable

#: the priority of iptables' nat POSTROUTING (include/uapi/linux/netfilter_ipv4.h: NF_IP_PRI_NAT_SRC)
NF_IP_PRI_NAT_SRC = 100
#: nft families whose nat chains see IPv4 packets
FAMILIES = ("ip", "inet")
#: targets that go on to the next rule (x_tables extensions that return XT_CONTINUE)
CONTINUE_TARGETS = frozenset({"LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "TRACE", "AUDIT", "CONNSECMARK", "SECMARK", "CLASSIFY"})
#: nft statements with only a side effect: the rule goes on
SIDE_EFFECTS = frozenset({"counter", "log", "mangle", "set", "notrack", "dup", "last", "ct helper", "ct timeout", "ct expectation",
                          "secmark", "flow", "synproxy"})
#: nft statements that may stop a rule (they do not match every packet)
CONDITIONAL = frozenset({"limit", "quota", "ct count"})
_PORT_MODULES = frozenset({"tcp", "udp", "udplite", "sctp", "dccp", "icmp", "multiport", "length"})


@dataclass(frozen=True, slots=True)
class Question:
    """The packets asked about: leaving through ``oif``; source, destination, input interface (None: any)."""

    oif: str
    source: IPv4Network | None = None
    dest: IPv4Network | None = None
    iif: str | None = None


@dataclass(frozen=True, slots=True)
class Cond:
    """One condition of a rule.

    ``kind``: oif, iif (``values`` are interface names, ``eth*`` a prefix), saddr, daddr
    (addresses, prefixes, ``a-b`` ranges), family (``ipv4``, ``ipv6``...), open (something every
    question leaves open: protocol, ports) or opaque (not modelled). ``text`` is how the rule says it.
    """

    kind: str
    negated: bool
    values: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Action:
    """What a rule does when it matches.

    ``kind``: nat (``arg`` masquerade or snat), accept, drop, return, continue, jump and goto
    (``arg`` the chain), vmap (``key`` the looked-up condition, ``branches`` element -> verdict) or
    opaque (``arg`` why it is not modelled).
    """

    kind: str
    arg: str = ""
    key: Cond | None = None
    branches: tuple[tuple[str, Action], ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: ``what`` is it for people (backend, table/chain, its text); ``ref`` adds where it is listed (line or handle)."""

    what: str
    where: str
    conds: tuple[Cond, ...]
    action: Action

    @property
    def ref(self) -> str:
        """``iptables-nft nat/POSTROUTING rule '-A POSTROUTING -o tun0 -j MASQUERADE' (line 7)``."""
        return f"{self.what} ({self.where})"


@dataclass(frozen=True, slots=True)
class Chain:
    """A chain; a base chain has a hook, a priority and a policy; ``nat`` for type nat."""

    name: str
    rules: tuple[Rule, ...]
    hook: str | None = None
    prio: int | None = None
    policy: str = "accept"
    nat: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A table of one backend: iptables-legacy (x_tables), iptables-nft or nft (both nf_tables)."""

    backend: str
    family: str
    name: str
    chains: tuple[Chain, ...]

    @property
    def label(self) -> str:
        """``iptables-legacy nat`` or ``nft inet gw``."""
        return f"{self.backend} {self.name}" if self.backend.startswith("iptables") else f"nft {self.family} {self.name}"

    def chain(self, name: str) -> Chain | None:
        """The chain of that name."""
        return next((c for c in self.chains if c.name == name), None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One way the walk can end: nat (``arg`` its kind), accept, drop, return, continue, opaque, or none (no NAT at all).

    ``by`` says what decided it: a rule's ref, or a chain's end and policy.
    """

    kind: str
    arg: str = ""
    by: str = ""


@dataclass(frozen=True, slots=True)
class Walk:
    """Every outcome the question's packets can reach, and the first rule (or ordering) that may decide between them."""

    outcomes: frozenset[Outcome]
    decider: str


CONTINUE = Outcome("continue")
Decider = tuple[tuple[int, ...], str]


# --- three-valued conditions --------------------------------------------------------------------

def _iface(name: str, pattern: str) -> bool:
    if pattern.endswith("*") and not pattern.endswith("\\*"):
        return name.startswith(pattern[:-1])
    return name == pattern.replace("\\*", "*")


def _span(text: str) -> tuple[int, int] | None:
    try:
        if "-" in text:
            first, last = text.split("-", 1)
            return int(IPv4Address(first.strip())), int(IPv4Address(last.strip()))
        net = IPv4Network(text, strict=False)
    except ValueError:
        return None
    return int(net.network_address), int(net.broadcast_address)


def _covers(net: IPv4Network, values: Sequence[str]) -> bool | None:
    """Whether the values hold for every address of ``net`` (True), for none (False), or some (None)."""
    spans = [_span(v) for v in values]
    low, high = int(net.network_address), int(net.broadcast_address)
    inside = sorted((max(a, low), min(b, high)) for a, b in (s for s in spans if s) if a <= high and b >= low)
    if not inside:
        return False
    reach = low - 1
    for a, b in inside:
        if a > reach + 1:
            return None
        reach = max(reach, b)
    return True if reach >= high else None


def evaluate(cond: Cond, q: Question) -> tuple[bool | None, str]:
    """True, False or None (unknown) for every packet of the question, with why when unknown."""
    value: bool | None
    if cond.kind == "oif":
        value = any(_iface(q.oif, p) for p in cond.values)
    elif cond.kind == "iif":
        if q.iif is None:
            return None, f"it matches on the input interface ({cond.text}), which the profile leaves open: add iif:"
        value = any(_iface(q.iif, p) for p in cond.values)
    elif cond.kind in ("saddr", "daddr"):
        net, end, what = (q.source, "from", "source") if cond.kind == "saddr" else (q.dest, "to", "destination")
        if net is None:
            return None, f"it matches on the {what} address ({cond.text}), which the profile leaves open: add {end}:"
        if any(_span(v) is None for v in cond.values):
            return None, f"it matches on {cond.text}, which hwcompat cannot read as IPv4 addresses"
        value = _covers(net, cond.values)
        if value is None:
            return None, f"it matches on {cond.text}, which holds for only part of {end}: {net} (ask about each part)"
    elif cond.kind == "family":
        value = "ipv4" in cond.values
    elif cond.kind == "open":
        return None, f"it matches on {cond.text}, which the profile leaves open"
    else:
        return None, f"it matches on {cond.text}, which is not modelled"
    return value != cond.negated, ""


def _classes(outcomes: Iterable[Outcome]) -> frozenset[tuple[str, str]]:
    return frozenset((o.kind, o.by if o.kind == "opaque" else o.arg) for o in outcomes)


# --- the walk --------------------------------------------------------------------------------------

class _Walker:
    def __init__(self, q: Question) -> None:
        self.q = q
        self.memo: dict[tuple[str, str, str, str], tuple[frozenset[Outcome], list[Decider]]] = {}

    def match(self, rule: Rule) -> tuple[bool | None, str]:
        why = ""
        for cond in rule.conds:
            value, reason = evaluate(cond, self.q)
            if value is False:
                return False, ""
            if value is None and not why:
                why = reason
        return (None, why) if why else (True, "")

    def effect(self, table: Table, rule: Rule, action: Action, stack: tuple[str, ...]) -> tuple[frozenset[Outcome], list[Decider]]:
        kind = action.kind
        if kind == "nat":
            return frozenset({Outcome("nat", action.arg, rule.ref)}), []
        if kind in ("accept", "drop", "return"):
            return frozenset({Outcome(kind, by=rule.ref + {"accept": " accepts", "drop": "", "return": " returns"}[kind])}), []
        if kind == "continue":
            return frozenset({CONTINUE}), []
        if kind in ("jump", "goto"):
            if table.chain(action.arg) is None:
                return self.opaque(rule, f"it goes to chain {action.arg}, which the listing does not show")
            if action.arg in stack:
                return self.opaque(rule, f"it goes to chain {action.arg}, which is already being walked (a loop)")
            outcomes, inner = self.chain(table, action.arg, stack)
            if kind == "jump":
                outcomes = frozenset(CONTINUE if o.kind == "return" else o for o in outcomes)
            return outcomes, inner
        if kind == "vmap" and action.key is not None:
            found: set[Outcome] = set()
            deciders: list[Decider] = []
            why = ""
            for element, verdict in action.branches:
                value, reason = evaluate(Cond(action.key.kind, False, (element,), action.key.text), self.q)
                if value is False:
                    continue
                outcomes, inner = self.effect(table, rule, verdict, stack)
                if value:
                    return outcomes, inner
                found |= outcomes
                deciders += inner
                why = why or reason
            if why:
                deciders.append(((), f"{rule.ref} may decide first: its verdict map {why.removeprefix('it ')}"))
            return frozenset(found | {CONTINUE}), deciders
        return self.opaque(rule, action.arg or f"its statement {kind} is not modelled")

    @staticmethod
    def opaque(rule: Rule, why: str) -> tuple[frozenset[Outcome], list[Decider]]:
        return frozenset({Outcome("opaque", by=f"{rule.ref}: {why}")}), [((), f"{rule.ref} may decide first: {why}")]

    def chain(self, table: Table, name: str, stack: tuple[str, ...]) -> tuple[frozenset[Outcome], list[Decider]]:
        key = (table.backend, table.family, table.name, name)
        if key in self.memo:
            return self.memo[key]
        chain = table.chain(name)
        assert chain is not None
        rows = []
        stopped = False
        for i, rule in enumerate(chain.rules):
            matched, why = self.match(rule)
            if matched is False:
                continue
            outcomes, inner = self.effect(table, rule, rule.action, (*stack, name))
            rows.append((i, rule, matched, why, outcomes, inner))
            if matched and CONTINUE not in outcomes:
                stopped = True
                break
        rest = frozenset() if stopped else frozenset({Outcome("return", by=f"the end of {table.label}/{name}")})
        deciders: list[Decider] = []
        for i, rule, matched, why, outcomes, inner in reversed(rows):
            deciders += [((i, *k), text) for k, text in inner]
            after = (outcomes - {CONTINUE}) | (rest if CONTINUE in outcomes else frozenset())
            if matched is None and _classes(after) != _classes(rest):
                deciders.append(((i,), f"{rule.ref} may decide first: {why}"))
            rest = after if matched else after | rest
        self.memo[key] = (rest, deciders)
        return rest, deciders


def _prio(entry: tuple[Table, Chain]) -> int:
    return entry[1].prio if entry[1].prio is not None else NF_IP_PRI_NAT_SRC


def hook_chains(tables: Sequence[Table]) -> list[tuple[Table, Chain]]:
    """The nat chains at the IPv4 postrouting hook, in the order the kernel runs them (ties: in listing order)."""
    return sorted(((t, c) for t in tables if t.family in FAMILIES for c in t.chains if c.nat and c.hook == "postrouting"), key=_prio)


def walk(tables: Sequence[Table], q: Question) -> Walk:
    """Every outcome the question's packets reach at the nat postrouting hook (see the module docstring)."""
    walker = _Walker(q)
    entries = hook_chains(tables)
    possible: set[Outcome] = set()
    ended: list[str] = []
    deciders: list[Decider] = []
    through = True
    for index, (prio, group_iter) in enumerate(groupby(entries, key=_prio)):
        group = list(group_iter)
        passing: list[list[Outcome]] = []
        for table, chain in group:
            outcomes, inner = walker.chain(table, chain.name, ())
            deciders += [((index, *k), text) for k, text in inner]
            final = {Outcome("accept" if chain.policy == "accept" else "drop", by=f"{o.by} (policy {chain.policy})")
                     if o.kind == "return" else o for o in outcomes}
            possible |= {o for o in final if o.kind != "accept"}
            passing.append(sorted((o for o in final if o.kind == "accept"), key=lambda o: o.by))
        if len(group) > 1:
            stops = {o for table, chain in group for o in walker.memo[(table.backend, table.family, table.name, chain.name)][0]
                     if o.kind not in ("return", "accept")}
            if len(_classes(stops)) > 1:  # one kind of stop is reached in any order; two depend on it
                names = " and ".join(f"{t.label}/{c.name}" for t, c in group)
                deciders.append(((index, 1 << 30), f"{names} both run at priority {prio}, in the reverse order of their registration, "
                                                   "which no listing shows (net/netfilter/core.c, nf_hook_entries_grow)"))
        ended += [" or ".join(o.by for o in p) for p in passing if p]
        if not all(passing):
            through = False
            break
    if through:
        possible.add(Outcome("none", by="; then ".join(ended) if ended else "no nat chain is hooked at postrouting"))
    deciders.sort()
    return Walk(frozenset(possible), deciders[0][1] if deciders else "")


# --- from iptables-save ------------------------------------------------------------------------

def _ipt_cond(option: str, negated: bool, value: str, args: tuple[str, ...]) -> Cond | None:
    shown = f"{'! ' if negated else ''}{option} {value}{''.join(' ' + a for a in args)}"
    if option in ("-o", "-i"):
        return Cond("oif" if option == "-o" else "iif", negated, (value[:-1] + "*" if value.endswith("+") else value,), shown)
    if option in ("-s", "-d"):
        return Cond("saddr" if option == "-s" else "daddr", negated, (value,), shown)
    if option == "-p":
        return None if value in ("all", "0") and not negated else Cond("open", negated, (value,), f"the protocol ({shown})")
    if option == "-m" and value == "comment":
        return None
    if option == "-m" and value in _PORT_MODULES:
        return Cond("open", negated, (value,), f"the ports ({shown})")
    return Cond("opaque", negated, (value,), shown)


def _ipt_action(rule: IptRule, chains: set[str]) -> Action:
    target = rule.target
    if target is None:
        return Action("continue")
    if target in chains:
        return Action("goto" if rule.goto else "jump", target)
    if rule.goto:
        return Action("opaque", f"it goes to {target}, which is not a chain of the table")
    if target == "MASQUERADE":
        return Action("nat", "masquerade")
    if target in ("SNAT", "NETMAP"):
        return Action("nat", "snat")
    if target in ("ACCEPT", "DROP", "RETURN"):
        return Action(target.lower())
    if target in CONTINUE_TARGETS:
        return Action("continue")
    return Action("opaque", f"its target {target} is not modelled")


def _ipt_rule(backend: str, table: str, chain: str, rule: IptRule, chains: set[str]) -> Rule:
    conds = tuple(c for m in rule.matches if (c := _ipt_cond(m.option, m.negated, m.value, m.args)) is not None)
    return Rule(f"{backend} {table}/{chain} rule '{rule.text}'", f"line {rule.line_no}", conds, _ipt_action(rule, chains))


def from_iptables(tables: Sequence[IptTable], backend: str) -> list[Table]:
    """The nat table of an iptables-save listing (iptables-legacy: x_tables), with POSTROUTING at NF_IP_PRI_NAT_SRC."""
    out = []
    for table in tables:
        if table.name != "nat" or not table.chains:
            continue
        names = {c.name for c in table.chains}
        out.append(Table(backend, "ip", "nat", tuple(
            Chain(c.name, tuple(_ipt_rule(backend, "nat", c.name, r, names) for r in c.rules),
                  c.name.lower() if c.policy is not None else None, NF_IP_PRI_NAT_SRC if c.policy is not None else None,
                  (c.policy or "accept").lower(), c.policy is not None)
            for c in table.chains)))
    return out


# --- from nft -j list ruleset ------------------------------------------------------------------

def _elem(value: Any) -> Any:
    return value["elem"].get("val") if isinstance(value, dict) and isinstance(value.get("elem"), dict) else value


def _value(value: Any) -> str | None:
    """One element as text: ``10.0.0.0/8``, ``10.0.0.1-10.0.0.9``, ``eth0``; None when it is something else."""
    value = _elem(value)
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict) and isinstance(value.get("prefix"), dict):
        return f"{value['prefix'].get('addr')}/{value['prefix'].get('len')}"
    if isinstance(value, dict) and isinstance(value.get("range"), list) and len(value["range"]) == 2:
        return f"{value['range'][0]}-{value['range'][1]}"
    return None


def _values(right: Any, sets: dict[str, NftSet]) -> tuple[str, ...] | str:
    """The values a match compares with, or why they cannot be read."""
    if isinstance(right, str) and right.startswith("@"):
        named = sets.get(right[1:])
        if named is None:
            return f"set {right}, which the listing does not show"
        if "dynamic" in named.flags:
            return f"set {right}, which the packet path fills (flags dynamic)"
        right = list(named.elem)
    items = right["set"] if isinstance(right, dict) and isinstance(right.get("set"), list) else right if isinstance(right, list) else [right]
    values = [_value(v) for v in items]
    return tuple(v for v in values if v is not None) if all(v is not None for v in values) else "values hwcompat cannot read"


def _left(left: Any) -> tuple[str, str]:
    """What a match looks at: (kind, how nft prints it)."""
    if isinstance(left, dict) and isinstance(left.get("meta"), dict):
        key = str(left["meta"].get("key"))
        kinds = {"oifname": "oif", "oif": "oif", "iifname": "iif", "iif": "iif", "nfproto": "family", "l4proto": "open"}
        return kinds.get(key, "opaque"), key if key in ("oifname", "oif", "iifname", "iif") else f"meta {key}"
    if isinstance(left, dict) and isinstance(left.get("payload"), dict) and "protocol" in left["payload"]:
        proto, field = str(left["payload"].get("protocol")), str(left["payload"].get("field"))
        shown = f"{proto} {field}"
        if proto == "ip":
            return {"saddr": "saddr", "daddr": "daddr", "protocol": "open", "version": "version"}.get(field, "opaque"), shown
        if proto in ("ip6", "icmpv6"):
            return "ipv6", shown
        if proto in ("tcp", "udp", "udplite", "sctp", "dccp", "th", "icmp"):
            return "open", shown
        return "opaque", shown
    return "opaque", _expr(left)


def _nft_cond(match: dict[str, Any], sets: dict[str, NftSet]) -> Cond:
    kind, _ = _left(match.get("left"))
    op = match.get("op", "==")
    text = _render("match", match)
    if kind == "ipv6":  # nft adds the dependency meta nfproto ipv6 (or ether type): never an IPv4 packet
        return Cond("family", False, ("ipv6",), text)
    if kind in ("open", "opaque"):
        return Cond(kind, False, (), f"the protocol or ports ({text})" if kind == "open" else text)
    if op not in ("==", "!=", "in"):
        return Cond("opaque", False, (), text)
    values = _values(match.get("right"), sets)
    if isinstance(values, str):
        return Cond("opaque", False, (), f"{text} ({values})")
    if kind == "version":
        kind, values = "family", tuple("ipv4" if v == "4" else f"version {v}" for v in values)
    return Cond(kind, op == "!=", values, text)


def _verdict(value: Any) -> Action:
    if isinstance(value, dict) and len(value) == 1:
        (kind, body), = value.items()
        if kind in ("accept", "drop", "return", "continue"):
            return Action(kind)
        if kind in ("jump", "goto") and isinstance(body, dict):
            return Action(kind, str(body.get("target")))
    return Action("opaque", f"its verdict {_expr(value)} is not modelled")


def _nft_rule(table: NftTable, chain: str, rule: NftRule, sets: dict[str, NftSet]) -> Rule:
    conds: list[Cond] = []
    action: Action | None = None
    for statement in rule.expr:
        if isinstance(statement, str):  # no JSON form (an anonymous chain, in nft 1.0.6): nft's own text
            action = action or Action("opaque", f"its statement '{' '.join(statement.split())}' has no JSON form, so it is not modelled")
            continue
        (kind, body), = statement.items()
        if action is not None or kind in SIDE_EFFECTS:
            continue
        if kind == "match" and isinstance(body, dict):
            conds.append(_nft_cond(body, sets))
        elif kind in ("accept", "drop", "return", "continue", "jump", "goto"):
            action = _verdict(statement)
        elif kind in ("masquerade", "snat"):
            family = body.get("family") if isinstance(body, dict) else None
            if family == "ip6":  # nft_nat_inet_eval: a NAT statement of another family leaves an IPv4 packet as it was
                continue
            if family not in (None, "ip"):
                action = Action("opaque", f"its NAT statement for family {family!r} is not modelled")
                continue
            address = body.get("addr") if isinstance(body, dict) else None
            if isinstance(address, dict) and "map" in address:
                conds.append(Cond("opaque", False, (), f"a map lookup for the address ({_render(kind, body)}: no entry, no NAT)"))
            action = Action("nat", kind)
        elif kind == "vmap" and isinstance(body, dict):
            key_kind, key_text = _left(body.get("key"))
            data = body.get("data")
            if isinstance(data, str) and data.startswith("@"):
                named = sets.get(data[1:])
                data = {"set": list(named.elem)} if named and "dynamic" not in named.flags else None
            pairs = data.get("set") if isinstance(data, dict) else None
            if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and _value(p[0]) is not None for p in pairs):
                action = Action("opaque", f"its verdict map ({_render(kind, body)}) cannot be read")
            else:
                key = Cond(key_kind if key_kind in ("oif", "iif", "saddr", "daddr") else "opaque", False, (), key_text)
                action = Action("vmap", key=key, branches=tuple((str(_value(p[0])), _verdict(p[1])) for p in pairs))
        elif kind == "xt" and isinstance(body, dict):
            name = str(body.get("name"))
            if body.get("type") == "target":
                action = _ipt_action(IptRule(0, "", (), name, False, ()), set())
            elif body.get("type") == "match" and name != "comment":
                conds.append(Cond("opaque", False, (name,), f'xt match "{name}" (an iptables match nft cannot show)'))
        elif kind in CONDITIONAL:
            conds.append(Cond("opaque", False, (), _render(kind, body)))
        else:
            action = Action("opaque", f"its statement {_render(kind, body)} is not modelled")
    text = " ".join(" ".join(s.split()) if isinstance(s, str) else _render(*next(iter(s.items()))) for s in rule.expr)
    text += f' comment "{rule.comment}"' if rule.comment is not None else ""
    return Rule(f"nft {table.family} {table.name}/{chain} rule '{text}'", f"handle {rule.handle}", tuple(conds), action or Action("continue"))


def _paired(table: NftTable, listed: IptTable | None) -> dict[tuple[str, int], Rule] | None:
    """For iptables-nft's table: each nft rule as iptables-nft-save lists it, where both list a chain's rules alike.

    None when iptables-nft-save lists none of the table's chains alike (then the table is not iptables-nft's).
    """
    if listed is None:
        return None
    own = {c.name: c for c in listed.chains}
    names = set(own)
    refs: dict[tuple[str, int], Rule] = {}
    alike = False
    for chain in table.chains:
        mine = own.get(chain.name)
        if mine is None or len(mine.rules) != len(chain.rules):
            continue
        ipt = [_ipt_rule("iptables-nft", "nat", chain.name, r, names) for r in mine.rules]
        nft = [_nft_rule(table, chain.name, r, {s.name: s for s in table.sets}) for r in chain.rules]
        if all(a.action.kind == b.action.kind and a.action.arg == b.action.arg for a, b in zip(ipt, nft, strict=True)):
            refs.update({(chain.name, i): r for i, r in enumerate(ipt)})
            alike = True
    return refs if alike else None


def _named(rule: Rule, listed: Rule | None) -> Rule:
    """The nft rule named as iptables-nft-save lists it: its line, and its xt matches with their options (``-m conntrack --ctstate DNAT``)."""
    if listed is None:
        return rule
    shown = {(c.kind, c.negated): c.text for c in listed.conds if c.kind in ("oif", "iif", "saddr", "daddr")}
    modules = {c.values[0]: c.text for c in listed.conds if c.kind in ("open", "opaque") and c.values}
    conds = tuple(Cond(c.kind, c.negated, c.values, modules.get(c.values[0], c.text) if c.kind == "opaque" and c.values
                       else shown.get((c.kind, c.negated), c.text)) for c in rule.conds)
    return Rule(listed.what, listed.where, conds, rule.action)


def from_nft(tables: Sequence[NftTable], iptables_nft: IptTable | None = None) -> list[Table]:
    """The ip and inet tables of ``nft -j list ruleset``.

    ``iptables_nft``: iptables-nft-save's nat table; where it lists a chain of ``table ip nat`` alike
    (as many rules, doing the same), that table is iptables-nft's and those rules are named by its
    lines (nft decides; iptables names).
    """
    out = []
    for table in tables:
        if table.family not in FAMILIES:
            continue
        refs = _paired(table, iptables_nft if (table.family, table.name) == ("ip", "nat") else None)
        sets = {s.name: s for s in table.sets}
        out.append(Table("nft" if refs is None else "iptables-nft", table.family, table.name, tuple(
            Chain(c.name, tuple(_named(_nft_rule(table, c.name, r, sets), (refs or {}).get((c.name, i))) for i, r in enumerate(c.rules)),
                  c.hook, c.prio, (c.policy or "accept").lower(), c.type == "nat")
            for c in table.chains)))
    return out


# --- nft's words ---------------------------------------------------------------------------------

def _expr(value: Any, quote: bool = False) -> str:
    value = _elem(value)
    if isinstance(value, str):
        return f'"{value}"' if quote and not value.startswith("@") else value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        if len(value) == 2 and isinstance(value[1], dict) and any(k in value[1] for k in ("jump", "goto", "accept", "drop", "return")):
            return f"{_expr(value[0], quote)} : {_render(*next(iter(value[1].items())))}"
        return "{ " + ", ".join(_expr(v, quote) for v in value) + " }"
    if isinstance(value, dict) and len(value) == 1:
        (kind, body), = value.items()
        if kind == "meta" and isinstance(body, dict):
            key = str(body.get("key"))
            return key if key in ("oifname", "oif", "iifname", "iif") else f"meta {key}"
        if kind == "payload" and isinstance(body, dict):
            return f"{body.get('protocol')} {body.get('field')}"
        if kind in ("ct", "rt", "socket") and isinstance(body, dict):
            return f"{kind} {body.get('key')}"
        if kind == "set" and isinstance(body, list):
            return _expr(body, quote)
        if kind in ("prefix", "range") and _value(value) is not None:
            return str(_value(value))
        if kind == "map" and isinstance(body, dict):
            return f"{_expr(body.get('key'))} map {_expr(body.get('data'))}"
        if kind == "concat" and isinstance(body, list):
            return " . ".join(_expr(v) for v in body)
    return json.dumps(value, separators=(",", ":"))


def _render(kind: str, body: Any) -> str:
    """One statement as nft would print it, near enough to recognise it."""
    if kind == "match" and isinstance(body, dict):
        left = body.get("left")
        quote = isinstance(left, dict) and isinstance(left.get("meta"), dict) and left["meta"].get("key") in ("oifname", "iifname")
        op = body.get("op", "==")
        return f"{_expr(left)} {'' if op in ('==', 'in') else op + ' '}{_expr(body.get('right'), quote)}"
    if kind in ("jump", "goto") and isinstance(body, dict):
        return f"{kind} {body.get('target')}"
    if kind in ("masquerade", "snat", "dnat", "redirect"):
        parts = [kind]
        if isinstance(body, dict):
            if "addr" in body:
                parts.append(f"to {_expr(body['addr'])}" + (f":{_expr(body['port'])}" if "port" in body else ""))
            elif "port" in body:
                parts.append(f"to :{_expr(body['port']).replace('{ ', '').replace(' }', '').replace(', ', '-')}")
            if "flags" in body:
                parts.append(_expr(body["flags"]).strip("{} ").replace(",", ""))
        return " ".join(parts)
    if kind == "vmap" and isinstance(body, dict):
        return f"{_expr(body.get('key'))} vmap {_expr(body.get('data'), True)}"
    if kind == "xt" and isinstance(body, dict):
        return f'xt {body.get("type")} "{body.get("name")}"'
    if kind == "log" and isinstance(body, dict) and "prefix" in body:
        return f'log prefix "{body["prefix"]}"'
    if body is None or kind in ("counter", "log"):
        return kind
    return f"{kind} {_expr(body)}"
