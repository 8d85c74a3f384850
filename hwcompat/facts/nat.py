"""NAT facts: the nat tables of every backend the kernel walks (iptables-legacy, iptables-nft, native nftables).

Asking must change nothing: ``iptables-legacy-save -t nat`` runs only where the legacy nat table
exists, and nft only where nf_tables is loaded or cannot be loaded (see the helpers below).

Which output is authoritative for which table:

- x_tables (iptables-legacy): ``iptables-legacy-save -t nat``; where iptables is older than 1.8
  (no iptables-legacy-save and no iptables-nft-save), ``iptables-save -t nat``. A recorded
  ``iptables-save -t nat`` whose header does not say ``(nf_tables)`` stands in for an
  iptables-legacy-save the snapshot did not record.
- nf_tables, every table, including iptables-nft's ``table ip nat``: ``nft -j list ruleset``.
  iptables-nft's rules appear there too (as native and ``xt`` expressions), so reading both would
  count them twice; and iptables-nft-save does not list a base chain another tool added to its
  table (1.8.9 prints "# Table `nat' contains incompatible base-chains" and leaves it out). So
  nft decides, and ``iptables-nft-save -t nat`` only names the rules: where it lists a chain of
  ``table ip nat`` with as many rules doing the same things, each rule is shown as its
  iptables-nft-save line. (iptables-nft-save lists an empty nat table even where nf_tables has
  none, seen live with 1.8.9: that is no disagreement; rules nft does not show are.)
- Where nft is not installed but nf_tables may hold tables (loaded, built in, or it cannot be
  told), the chains at the hook cannot all be seen: every NAT item is "cannot check". nf_tables
  holds nothing where it is a module on disk that is not loaded (then nothing is asked), or where
  the kernel has none (older than 3.13, when it was merged, or listed in neither modules.dep nor
  modules.builtin).
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat import natwalk
from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown, parsed, read, run_command
from hwcompat.parsers import iptables_save, nft_json
from hwcompat.parsers.iptables_save import IptTable
from hwcompat.sources.base import FactSource


@dataclass(frozen=True, slots=True)
class NatFacts:
    """The tables the kernel's nat hook may walk, what was looked at, and what could not be.

    ``unreadable``: a table that exists (or may) but could not be read; ``unseen``: why chains may
    sit at the hook that no output shows.
    """

    tables: tuple[natwalk.Table, ...]
    looked: tuple[str, ...]
    unreadable: tuple[Unknown, ...]
    unseen: tuple[str, ...]


IP_TABLES_NAMES = "/proc/net/ip_tables_names"
NO_TOOL = "no NAT tool is installed (iptables-save, iptables-legacy-save, iptables-nft-save, nft)"


def _legacy_nat(source: FactSource) -> bool:
    """Whether a legacy (x_tables) nat table can exist here, so that asking for it changes nothing.

    ``iptables-legacy-save -t nat`` creates the table it asks for (and makes the kernel load
    iptable_nat), so it only runs when /proc/net/ip_tables_names lists nat. Where that cannot be
    told (a snapshot that did not record it), the recorded answer is replayed.
    """
    names = read(source, IP_TABLES_NAMES)
    if isinstance(names, Unknown):
        return not names.missing  # no file: the ip_tables module is not loaded
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


def _no_nf_tables(source: FactSource) -> bool:
    """Whether this kernel has no nf_tables at all (so no chain can hide there): older than 3.13, or in no module list."""
    release = read(source, "/proc/sys/kernel/osrelease")
    if not isinstance(release, str):
        return False
    try:
        version = tuple(int(p) for p in release.strip().split("-")[0].split(".")[:2])
    except ValueError:
        return False
    if version < (3, 13):
        return True
    base = f"/lib/modules/{release.strip()}"
    lists = [read(source, f"{base}/modules.dep"), read(source, f"{base}/modules.builtin")]
    try:
        loaded = source.list_dir("/sys/module")
    except CannotCheck:
        return False
    return loaded is not None and "nf_tables" not in loaded and all(isinstance(t, str) and "/nf_tables.ko" not in t for t in lists)


def _legacy(source: FactSource, text: str | Unknown, nft_save_missing: bool) -> tuple[str, str | Unknown]:
    """The legacy nat table's listing (and the command that gave it), falling back to ``iptables-save -t nat``.

    The fallback runs where iptables is older than 1.8 (neither iptables-legacy-save nor
    iptables-nft-save is installed), or where a snapshot did not record iptables-legacy-save;
    it stands in only when its header does not say ``(nf_tables)``.
    """
    missing = isinstance(text, Unknown) and "not installed" in text.reason
    unrecorded = isinstance(text, Unknown) and "is not recorded" in text.reason
    if not ((missing and nft_save_missing) or unrecorded):
        return "iptables-legacy-save", text
    other = run_command(source, ["iptables-save", "-t", "nat"])
    if isinstance(other, str):
        legacy = "(nf_tables)" not in "".join(other.splitlines()[:1])  # else it lists iptables-nft's table, not this one
        return ("iptables-save", other) if legacy else ("iptables-legacy-save", text)
    return ("iptables-save", other) if missing else ("iptables-legacy-save", text)


def _legacy_unreadable(source: FactSource, reason: str) -> str:
    """Why the legacy nat table cannot be judged, saying whether it is known to exist."""
    known = isinstance(read(source, IP_TABLES_NAMES), str)
    if "is not recorded" in reason and not known:
        return (f"whether a legacy (x_tables) nat table exists is not recorded: neither {IP_TABLES_NAMES} nor `iptables-legacy-save -t nat` "
                "is in the snapshot (such a table runs at priority 100, beside iptables-nft's)")
    if "not installed" in reason or "is not recorded" in reason:
        where = f"the legacy nat table exists ({IP_TABLES_NAMES} lists nat)" if known else f"a legacy nat table may exist ({IP_TABLES_NAMES} cannot be read)"
        return f"{where} but {reason}"
    return reason


def _nat_table(tables: list[IptTable] | Unknown) -> IptTable | None:
    return next((t for t in tables if t.name == "nat"), None) if isinstance(tables, list) else None


def collect(source: FactSource) -> NatFacts:
    """Read the nat tables of every backend that may hold rules, without creating any."""
    tables: list[natwalk.Table] = []
    looked: list[str] = []
    unreadable: list[Unknown] = []
    unseen: list[str] = []
    asked: list[str | Unknown] = []
    legacy, nftables = _legacy_nat(source), _nf_tables(source)
    if not legacy:
        looked.append("iptables-legacy (no nat table)")
    if not nftables:
        looked.append("nftables (nf_tables not loaded)")
    legacy_text = run_command(source, ["iptables-legacy-save", "-t", "nat"]) if legacy else None
    nft_save = run_command(source, ["iptables-nft-save", "-t", "nat"]) if nftables else None
    nft_save_missing = not isinstance(nft_save, str) and (nft_save is None or "not installed" in nft_save.reason)
    if legacy and legacy_text is not None:
        tool, legacy_text = _legacy(source, legacy_text, nft_save_missing)
        asked.append(legacy_text)
        found = parsed(iptables_save.parse, legacy_text, f"{tool} -t nat")
        if isinstance(found, Unknown):
            unreadable.append(Unknown(_legacy_unreadable(source, found.reason), found.broken))
        else:
            looked.append(tool)
            tables += natwalk.from_iptables(found, "iptables-legacy")
    if nftables:
        listed = parsed(iptables_save.parse, nft_save, "iptables-nft-save -t nat") if nft_save is not None else None
        if isinstance(listed, Unknown) and "not installed" not in listed.reason:
            unreadable.append(listed)  # it only names rules, but a listing that cannot be read casts doubt on the recording
        elif isinstance(listed, list):
            looked.append("iptables-nft-save")
        nft_nat = _nat_table(listed) if listed is not None else None
        text = run_command(source, ["nft", "-j", "list", "ruleset"])
        asked += [nft_save, text] if nft_save is not None else [text]
        if isinstance(text, str) and not text.strip():
            text = Unknown("the output of `nft -j list ruleset` looks broken: it is empty (nft prints at least its metainfo)", broken=True)
        ruleset = parsed(nft_json.parse, text, "nft -j list ruleset")
        if isinstance(ruleset, list):
            looked.append("nft")
            tables += natwalk.from_nft(ruleset, nft_nat)
            if nft_nat and any(c.rules for c in nft_nat.chains) and not any((t.family, t.name) == ("ip", "nat") for t in ruleset):
                unreadable.append(Unknown("`iptables-nft-save -t nat` lists rules in table nat that `nft -j list ruleset` does not show: "
                                          "the two outputs disagree (recorded at different times?)"))
        elif "not installed" not in ruleset.reason:
            unreadable.append(ruleset)
        elif _no_nf_tables(source):
            looked.append("nftables (not in this kernel)")
        else:
            unseen.append("nft is not installed, so the nftables chains at the nat postrouting hook cannot all be seen "
                          "(iptables-nft-save shows only iptables' own table): install nftables")
    if asked and all(isinstance(a, Unknown) and "not installed" in a.reason for a in asked):
        return NatFacts((), tuple(looked), (Unknown(NO_TOOL),), ())
    return NatFacts(tuple(tables), tuple(looked), tuple(unreadable), tuple(unseen))
