"""NAT: traffic leaving through an interface is masqueraded (or source-NATed)."""

from __future__ import annotations

from hwcompat.errors import CannotCheck
from hwcompat.facts.nat import NatFacts
from hwcompat.profile.model import NetExpectation
from hwcompat.results import CheckResult, failed, passed


def nat(exp: NetExpectation, net: NatFacts) -> CheckResult:
    """Masquerade (or SNAT) for traffic leaving through an interface, in any NAT backend."""
    want = str(exp.get("want"))
    if net.unreadable:
        # the kernel walks every NAT table: one that cannot be read may hold the rule that decides
        raise CannotCheck("; ".join(u.reason for u in net.unreadable), any(u.broken for u in net.unreadable))
    hits = [n for n in net.rules if n.out_interface == exp.name and not n.out_negated and n.action == want]
    looked = ", ".join(net.backends) or "no NAT backend"
    if hits:
        return passed(f"{want} in {hits[0].backend}: {hits[0].text}", want, hits[0].text, looked)
    if not net.backends:
        raise CannotCheck("no NAT tool is installed (iptables-save, iptables-legacy-save, iptables-nft-save, nft)")
    target = "MASQUERADE" if want == "masquerade" else "SNAT --to-source ADDR"
    fix = f"iptables -t nat -A POSTROUTING -o {exp.name} -j {target}"
    return failed(f"missing: no {want} rule for traffic leaving through {exp.name} (looked in {looked}); add: {fix}", want, "none", looked)
