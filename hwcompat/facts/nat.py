"""NAT facts: the nat tables of every backend the kernel walks (iptables-legacy, iptables-nft, native nftables).

Asking must change nothing: ``iptables-legacy-save -t nat`` runs only where the legacy nat table
exists, and nft only where nf_tables is loaded or cannot be loaded (see the helpers below).
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown, parsed, read, run_command
from hwcompat.parsers import iptables_save, nft_json
from hwcompat.sources.base import FactSource


@dataclass(frozen=True, slots=True)
class NatRule:
    """A masquerade or SNAT rule, whichever backend holds it."""

    backend: str
    chain: str
    out_interface: str | None
    out_negated: bool
    source: str | None
    action: str
    text: str


@dataclass(frozen=True, slots=True)
class NatFacts:
    """The NAT rules found, the backends looked at, and those that could not be read."""

    rules: tuple[NatRule, ...]
    backends: tuple[str, ...]
    unreadable: tuple[Unknown, ...]


IP_TABLES_NAMES = "/proc/net/ip_tables_names"


def _legacy_nat(source: FactSource) -> bool:
    """Whether a legacy (x_tables) nat table can exist here, so that asking for it changes nothing.

    ``iptables-legacy-save -t nat`` creates the table it asks for (and makes the kernel load
    iptable_nat), so it only runs when /proc/net/ip_tables_names lists nat. Where that cannot be
    told (a snapshot that did not record it), the recorded answer is replayed.
    """
    names = read(source, IP_TABLES_NAMES)
    if isinstance(names, Unknown):
        return not names.reason.endswith("does not exist")  # no file: the ip_tables module is not loaded
    return "nat" in names.split()


def _nf_tables(source: FactSource) -> bool:
    """Whether asking nft (or iptables-nft-save) changes nothing: False only when it would make the kernel load nf_tables.

    That is the case when nf_tables is a module on disk (modules.dep) that is not loaded
    (/sys/module); then no nftables rule can exist either. Where nf_tables is loaded, built in, or
    not a module this kernel can load, the question is only a question.
    """
    try:
        loaded = source.list_dir("/sys/module")
    except CannotCheck:
        return True  # not recorded: replay what was recorded
    if loaded is None or "nf_tables" in loaded:
        return True
    release = read(source, "/proc/sys/kernel/osrelease")
    on_disk = read(source, f"/lib/modules/{release.strip()}/modules.dep") if isinstance(release, str) else release
    return not (isinstance(on_disk, str) and "/nf_tables.ko" in on_disk)


def _nft_nat(source: FactSource) -> list[NatRule] | Unknown:
    text = run_command(source, ["nft", "-j", "list", "ruleset"])
    if isinstance(text, str) and not text.strip():
        return Unknown("the output of `nft -j list ruleset` looks broken: it is empty (nft prints at least its metainfo)")
    found = parsed(nft_json.parse, text, "nft -j list ruleset")
    if isinstance(found, Unknown):
        return found
    return [NatRule(f"nft ({n.action})", n.chain, n.out_interface, n.out_negated, n.source,
                    "masquerade" if "MASQUERADE" in n.action or n.action == "masquerade" else "snat",
                    f"table {n.family} {n.table} chain {n.chain}: oifname {'!= ' if n.out_negated else ''}{n.out_interface} {n.action}")
            for n in found]


def _nat(source: FactSource) -> tuple[tuple[NatRule, ...], tuple[str, ...], tuple[Unknown, ...]]:
    rules: list[NatRule] = []
    used: list[str] = []
    unreadable: list[Unknown] = []
    legacy, nftables = _legacy_nat(source), _nf_tables(source)
    if not legacy:
        used.append("iptables-legacy (no nat table)")
    if not nftables:
        used.append("nftables (nf_tables not loaded)")
    variants = ([["iptables-legacy-save", "-t", "nat"]] if legacy else []) + ([["iptables-nft-save", "-t", "nat"]] if nftables else [])
    outputs = [(v, run_command(source, v)) for v in variants]
    if legacy and all(isinstance(o, Unknown) and "not installed" in o.reason for _, o in outputs):
        # iptables before 1.8 has one iptables-save, on x_tables
        outputs = [(["iptables-save", "-t", "nat"], run_command(source, ["iptables-save", "-t", "nat"]))]
    for argv, text in outputs:
        if isinstance(text, Unknown):
            if "not installed" not in text.reason:
                unreadable.append(text)
            continue
        rules_read = parsed(iptables_save.parse, text, " ".join(argv))
        if isinstance(rules_read, Unknown):
            unreadable.append(rules_read)
            continue
        used.append(argv[0])
        for r in rules_read:
            if r.table == "nat" and r.target in ("MASQUERADE", "SNAT"):
                rules.append(NatRule(argv[0], r.chain, r.out_interface, r.out_negated, r.source, r.target.lower(), r.text))
    if nftables:
        nft = _nft_nat(source)
        if isinstance(nft, Unknown):
            if "not installed" not in nft.reason:
                unreadable.append(nft)
        else:
            used.append("nft")
            rules += nft
    return tuple(rules), tuple(used), tuple(unreadable)


def collect(source: FactSource) -> NatFacts:
    """Read the nat tables of every backend that may hold rules, without creating any."""
    return NatFacts(*_nat(source))
