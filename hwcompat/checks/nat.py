"""NAT: traffic leaving through an interface (from a source, to a destination) is masqueraded or source-NATed.

Judged by :func:`hwcompat.natwalk.walk`, which runs every nat chain at the IPv4 postrouting hook
as the kernel does. A decisive MASQUERADE/SNAT passes naming the rule; an ACCEPT, RETURN, end of
chain, DROP or the other kind of NAT in every way the packets can go fails naming it, with the
fix; a rule whose conditions hwcompat cannot settle for the profile's packets, where it may
decide, makes the item "cannot check" naming it.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from hwcompat import natwalk
from hwcompat.errors import CannotCheck
from hwcompat.facts.nat import NatFacts
from hwcompat.profile.model import NetExpectation
from hwcompat.results import CheckResult, failed, passed

_DONE = {"masquerade": "masqueraded", "snat": "source-NATed"}


def question(exp: NetExpectation) -> natwalk.Question:
    """The packets a nat entry asks about."""
    def net(key: str) -> IPv4Network | None:
        value = exp.get(key)
        return IPv4Network(str(value), strict=False) if value is not None else None

    iif = exp.get("iif")
    return natwalk.Question(exp.name, net("from"), net("to"), str(iif) if iif is not None else None)


def _shown(net: IPv4Network | None) -> str:
    return "" if net is None else str(net.network_address) if net.prefixlen == 32 else str(net)


def _asked(q: natwalk.Question) -> str:
    return " ".join(part for part in ("traffic", f"from {_shown(q.source)}" if q.source else "", f"to {_shown(q.dest)}" if q.dest else "",
                                      f"arriving on {q.iif}" if q.iif else "", f"leaving through {q.oif}") if part)


def _fix(tables: tuple[natwalk.Table, ...], q: natwalk.Question, want: str) -> str:
    """A rule that makes the first nat chain at the hook NAT these packets (it runs before any other could)."""
    entries = natwalk.hook_chains(tables)
    if not entries or entries[0][0].backend.startswith("iptables"):
        target = "MASQUERADE" if want == "masquerade" else "SNAT --to-source ADDRESS"
        backends = {t.backend for t, _ in entries}
        tool = entries[0][0].backend if len(backends) > 1 else "iptables"
        where = "-I POSTROUTING 1" if entries and entries[0][1].rules else "-A POSTROUTING"
        return f"{tool} -t nat {where}{f' -s {_shown(q.source)}' if q.source else ''} -o {q.oif} -j {target}"
    table, chain = entries[0]
    verdict = "masquerade" if want == "masquerade" else "snat to ADDRESS"
    return f"nft insert rule {table.family} {table.name} {chain.name}{f' ip saddr {_shown(q.source)}' if q.source else ''} oifname \"{q.oif}\" {verdict}"


def _why_not(outcome: natwalk.Outcome) -> str:
    if outcome.kind == "nat":
        return f"{_DONE[outcome.arg]} instead, by {outcome.by}"
    if outcome.kind == "drop":
        return f"dropped by {outcome.by}"
    return f"no NAT: {outcome.by}"


def nat(exp: NetExpectation, net: NatFacts) -> CheckResult:
    """Masquerade (or SNAT) for the profile's packets, as the kernel's nat chains at postrouting decide it."""
    want = str(exp.get("want"))
    if net.unreadable:
        # the kernel walks every NAT table: one that cannot be read may hold the rule that decides
        raise CannotCheck("; ".join(u.reason for u in net.unreadable), any(u.broken for u in net.unreadable))
    if net.unseen:
        raise CannotCheck("; ".join(net.unseen))
    q = question(exp)
    walk = natwalk.walk(net.tables, q)
    looked = ", ".join(net.looked) or "no NAT backend"
    expected = f"{_asked(q)} is {_DONE[want]}"
    hits = sorted({o.by for o in walk.outcomes if o.kind == "nat" and o.arg == want})
    if hits and all(o.kind == "nat" and o.arg == want for o in walk.outcomes):
        return passed(f"{_DONE[want]} by {' or '.join(hits)}", expected, "; ".join(hits), looked)
    if any(o.kind == "opaque" for o in walk.outcomes) or hits:
        raise CannotCheck(walk.decider or "the outcome depends on what hwcompat cannot tell")
    reasons = sorted(_why_not(o) for o in walk.outcomes)
    fix = "" if any(o.kind != "none" for o in walk.outcomes) else f"; add: {_fix(net.tables, q, want)}"
    looked_in = f" (looked in {looked})" if not natwalk.hook_chains(net.tables) else ""
    message = f"not {_DONE[want]}: {_asked(q)} gets {'; or '.join(reasons)}{looked_in}{fix}"
    return failed(message, expected, "; or ".join(reasons), looked)
