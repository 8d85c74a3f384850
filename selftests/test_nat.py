"""NAT judged as the kernel walks the nat chains at postrouting (hwcompat.natwalk), on real outputs.

The rulesets are the corpus (selftests/data/corpus/iptables_save/, nft_json/) and the parser pairs
``*--netns-*`` that selftests/live/test_nat_live.py records from real chains in a namespace (the
issue's RETURN before MASQUERADE and ``! -o eth0``, Docker's ``! -o docker0``, user chains, sets,
verdict maps, and three corpus nft texts loaded with ``nft -f``). Each item runs through the
profile loader, the facts (a fake machine answering the recorded commands) and the check.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from ipaddress import IPv4Network, ip_address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcompat import natwalk
from hwcompat.checks.nat import nat
from hwcompat.errors import CannotCheck, ParseError, ProfileError
from hwcompat.facts.cache import FactCache
from hwcompat.facts.nat import NatFacts
from hwcompat.parsers import iptables_save, nft_json
from hwcompat.plan import evaluate
from hwcompat.profile import loader
from hwcompat.sources.base import CommandOutput
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import REPO
from selftests.fakes import DictSource

PAIRS = REPO / "selftests/data/parsers"
CORPUS = REPO / "selftests/data/corpus"
VLAN = {"from": "192.168.6.0/24"}
NO_TABLES = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}]}\n'
EMPTY_NAT = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n"


def dump(ruleset: object) -> str:
    """JSON as nft prints it: one line, ending with a newline."""
    return json.dumps(ruleset) + "\n"


def pair(name: str) -> str:
    return (PAIRS / name).read_text()


def corpus(name: str) -> str:
    return (CORPUS / name).read_text()


class Machine(DictSource):
    """A machine answering the NAT commands it is given; any other command is not installed."""

    def __init__(self, commands: Mapping[tuple[str, ...], str | CommandOutput], files: Mapping[str, str] | None = None) -> None:
        super().__init__(files=dict(files or {}))
        self.commands = dict(commands)

    def run(self, argv):  # type: ignore[no-untyped-def]
        found = self.commands.get(tuple(argv))
        if isinstance(found, CommandOutput):
            return found
        if found is None:
            return CommandOutput(tuple(argv), None, 127, "not installed")
        return CommandOutput(tuple(argv), found, 0, "")


LEGACY = ("iptables-legacy-save", "-t", "nat")
NFT_SAVE = ("iptables-nft-save", "-t", "nat")
NFT = ("nft", "-j", "list", "ruleset")


def judge(entries: Mapping[str, Mapping[str, str]], legacy: str | None = None, nft_save: str | None = EMPTY_NAT,
          nft: str | None = NO_TABLES, files: Mapping[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """label -> (passed | failed | cannot check, message) for nat entries (want: masquerade unless given) on this machine."""
    commands: dict[tuple[str, ...], str | CommandOutput] = {}
    machine_files = dict(files or {})
    if legacy is not None:
        commands[LEGACY] = legacy
        machine_files.setdefault("/proc/net/ip_tables_names", "nat\n")
    for argv, text in ((NFT_SAVE, nft_save), (NFT, nft)):
        if text is not None:
            commands[argv] = text
    nat = {label: {"want": "masquerade", **entry} for label, entry in entries.items()}
    profile = loader.load_text(json.dumps({"name": "t", "description": "t", "network": {"nat": nat}}))
    out = {}
    for item, result in evaluate(profile, FactCache(Machine(commands, machine_files))):
        label = item.removeprefix("test_network_nat[").removesuffix("]")
        cannot = result.outcome == "failed" and result.message.startswith("cannot check")
        out[label] = ("cannot check" if cannot else result.outcome, result.message)
    return out


def one(entry: Mapping[str, str], **outputs: str | None) -> tuple[str, str]:
    return judge({"q": entry}, **outputs)["q"]  # type: ignore[arg-type]


def netns_case(name: str, iptables: bool = True) -> dict[str, str | None]:
    """The outputs recorded from one of selftests/live/test_nat_live.py's namespaces."""
    return {"nft_save": pair(f"iptables_save--netns-{name}.txt") if iptables else EMPTY_NAT, "nft": pair(f"nft_json--netns-{name}.txt")}


# --- the two cases -----------------------------------------------------------------------

def test_return_before_masquerade_fails_naming_the_return_and_the_fix() -> None:
    outcome, message = one({"interface": "tun-hma", **VLAN}, **netns_case("return-before-masquerade"))
    assert outcome == "failed"
    assert message == (
        "not masqueraded: traffic from 192.168.6.0/24 leaving through tun-hma gets no NAT: iptables-nft nat/POSTROUTING rule "
        "'-A POSTROUTING -o tun-hma -j RETURN' (line 7) returns (policy accept); "
        "add: iptables -t nat -I POSTROUTING 1 -s 192.168.6.0/24 -o tun-hma -j MASQUERADE")


def test_negated_output_interface_masquerades_what_leaves_elsewhere() -> None:
    res = judge({"tun": {"interface": "tun-hma", **VLAN}, "lan": {"interface": "eth0", **VLAN}, "any": {"interface": "tun-hma"},
                 "other": {"interface": "tun-hma", "from": "10.0.0.0/8"}}, **netns_case("negated-oif-masquerade"))
    assert res["tun"] == ("passed", "masqueraded by iptables-nft nat/POSTROUTING rule "
                                    "'-A POSTROUTING -s 192.168.6.0/24 ! -o eth0 -j MASQUERADE' (line 7)")
    assert res["lan"][0] == "failed" and "no NAT: the end of iptables-nft nat/POSTROUTING (policy accept)" in res["lan"][1]
    assert res["any"] == ("cannot check", "cannot check: iptables-nft nat/POSTROUTING rule '-A POSTROUTING -s 192.168.6.0/24 ! -o eth0 "
                                          "-j MASQUERADE' (line 7) may decide first: it matches on the source address (-s 192.168.6.0/24), "
                                          "which the profile leaves open: add from:")
    assert res["other"][0] == "failed"


def test_a_legacy_iptables_save_stands_in_for_an_unrecorded_iptables_legacy_save() -> None:
    # a snapshot that recorded `iptables-save -t nat` and nft, but neither /proc/net/ip_tables_names nor iptables-legacy-save
    class Unrecorded(Machine):
        def run(self, argv):  # type: ignore[no-untyped-def]
            if tuple(argv) == LEGACY:
                raise CannotCheck("`iptables-legacy-save -t nat` is not recorded in snapshot s")
            return super().run(argv)

        def read_text(self, path: str) -> str | None:
            if path == "/proc/net/ip_tables_names":
                raise CannotCheck(f"{path} is not recorded in snapshot s")
            return super().read_text(path)

    profile = loader.load_text(json.dumps({"name": "t", "description": "t", "network": {"nat": {"tun": {"interface": "tun-hma", **VLAN,
                                                                                                          "want": "masquerade"}}}}))
    legacy = pair("iptables_save--netns-negated-oif-masquerade.txt").replace(" (nf_tables)", "")
    for header, outcome in ((legacy, "passed"), (pair("iptables_save--netns-negated-oif-masquerade.txt"), "failed")):
        machine = Unrecorded({("iptables-save", "-t", "nat"): header, NFT_SAVE: EMPTY_NAT, NFT: NO_TABLES})
        [(_, result)] = evaluate(profile, FactCache(machine))
        assert result.outcome == outcome, result.message
    # the second iptables-save is iptables-nft's: whether a legacy nat table exists is not recorded, and it would run at 100 too
    assert result.message == ("cannot check: whether a legacy (x_tables) nat table exists is not recorded: neither /proc/net/ip_tables_names "
                              "nor `iptables-legacy-save -t nat` is in the snapshot (such a table runs at priority 100, beside iptables-nft's)")


# --- several nat chains at one hook (nf_nat_inet_fn) ---------------------------------------------

def test_an_accept_in_one_nat_chain_does_not_stop_the_next() -> None:
    # iptables-nft's POSTROUTING (priority 100) returns; nft's chain at 150 still masquerades, as nf_nat_inet_fn runs it next
    outcome, message = one({"interface": "tun-hma", **VLAN}, **netns_case("incompatible-base-chain"))
    assert (outcome, message) == ("passed", "masqueraded by nft ip nat/late rule 'oifname \"tun-hma\" masquerade' (handle 4)")
    note = iptables_save.parse(pair("iptables_save--netns-incompatible-base-chain.txt"))[0].note
    assert note == "# Table `nat' contains incompatible base-chains, use 'nft' tool to list them."


def test_legacy_and_iptables_nft_at_the_same_priority() -> None:
    returns = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o tun-hma -j RETURN\nCOMMIT\n"
    snat = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o tun-hma -j SNAT --to-source 10.200.0.6\nCOMMIT\n"
    masq = netns_case("negated-oif-masquerade")
    # whichever runs first, the RETURN leaves the packet to the other
    assert one({"interface": "tun-hma", **VLAN}, legacy=returns, **masq)[0] == "passed"
    # SNAT or MASQUERADE: the one registered last runs first, which no listing shows
    outcome, message = one({"interface": "tun-hma", **VLAN}, legacy=snat, **masq)
    assert outcome == "cannot check"
    assert message == ("cannot check: iptables-legacy nat/POSTROUTING and iptables-nft nat/POSTROUTING both run at priority 100, in the "
                       "reverse order of their registration, which no listing shows (net/netfilter/core.c, nf_hook_entries_grow)")


def test_an_earlier_nat_chain_that_drops_fails_naming_it() -> None:
    drop = json.loads(pair("nft_json--netns-incompatible-base-chain.txt"))
    for item in drop["nftables"]:
        if "chain" in item and item["chain"]["name"] == "late":
            item["chain"]["prio"] = 50
        if "rule" in item and item["rule"]["chain"] == "late":
            item["rule"]["expr"][-1] = {"drop": None}
    outcome, message = one({"interface": "tun-hma", **VLAN}, nft_save=pair("iptables_save--netns-incompatible-base-chain.txt"),
                           nft=dump(drop))
    assert outcome == "failed" and message.endswith("gets dropped by nft ip nat/late rule 'oifname \"tun-hma\" drop' (handle 4)")


def test_an_ipv6_snat_before_the_masquerade_leaves_ipv4_to_it() -> None:
    """nft prints an inet table's "snat ip6 to ..." with "family": "ip6"; the kernel applies it to IPv6 packets only."""
    ruleset = json.loads(pair("nft_json--netns-incompatible-base-chain.txt"))
    items = ruleset["nftables"]
    at = next(i for i, item in enumerate(items) if "rule" in item and item["rule"]["chain"] == "late")
    first = json.loads(json.dumps(items[at]))
    first["rule"]["handle"] = 3
    first["rule"]["expr"][-1] = {"snat": {"family": "ip6", "addr": "2001:db8::1"}}
    items.insert(at, first)
    args = {"nft_save": pair("iptables_save--netns-incompatible-base-chain.txt")}
    assert one({"interface": "tun-hma", **VLAN}, **args, nft=dump(ruleset)) == (
        "passed", "masqueraded by nft ip nat/late rule 'oifname \"tun-hma\" masquerade' (handle 4)")
    first["rule"]["expr"][-1] = {"snat": {"family": "arp", "addr": "10.0.0.1"}}
    assert one({"interface": "tun-hma", **VLAN}, **args, nft=dump(ruleset))[0] == "cannot check"


@pytest.mark.parametrize(("name", "words"), [
    # regular chains named prerouting/postrouting, hooked nowhere: they never run
    ("nftablesrs--nat-dnat-snat-maps.json.txt", "gets no NAT: no nat chain is hooked at postrouting (looked in iptables-legacy (no nat table), "
                                                "iptables-nft-save, nft); "
                                                "add: iptables -t nat -A POSTROUTING -s 192.168.6.0/24 -o tun-hma -j MASQUERADE"),
    # a hooked postrouting chain (priority 0) with no rule
    ("nftablesrs--nftables-init-inet-filter-nat-redirect.json.txt",
     "gets no NAT: the end of nft ip nat/postrouting (policy accept); add: nft insert rule ip nat postrouting ip saddr 192.168.6.0/24 "
     "oifname \"tun-hma\" masquerade"),
])
def test_published_nft_rulesets_without_source_nat(name: str, words: str) -> None:
    outcome, message = one({"interface": "tun-hma", **VLAN}, nft=corpus(f"nft_json/{name}"))
    assert outcome == "failed" and message.endswith(words)


def test_published_nft_masquerade_on_wan0() -> None:
    nft = corpus("nft_json/nftablesrs--nat-oifname-wan0-masquerade.json.txt")
    assert one({"interface": "wan0", **VLAN}, nft=nft) == ("passed", "masqueraded by nft ip nat/postrouting rule 'oifname \"wan0\" masquerade' "
                                                                     "(handle 3)")
    assert one({"interface": "wan1", **VLAN}, nft=nft)[0] == "failed"


# --- inside a chain: jumps, gotos, SNAT, unknowns ------------------------------------------------

@pytest.mark.parametrize(("entry", "outcome", "words"), [
    ({"interface": "tun-hma", **VLAN, "to": "8.8.8.8", "want": "snat"}, "passed",
     "source-NATed by iptables-nft nat/NAT-OUT rule '-A NAT-OUT -o tun-hma -j SNAT --to-source 10.200.0.6' (line 12)"),
    ({"interface": "tun-hma", **VLAN, "to": "8.8.8.8"}, "failed",
     "gets source-NATed instead, by iptables-nft nat/NAT-OUT rule '-A NAT-OUT -o tun-hma -j SNAT --to-source 10.200.0.6' (line 12)"),
    ({"interface": "eth0", **VLAN, "to": "192.168.1.5"}, "passed", "'-A POSTROUTING -d 192.168.0.0/16 -j MASQUERADE' (line 10)"),
    ({"interface": "eth0", **VLAN, "to": "8.8.8.8"}, "cannot check",
     "cannot check: iptables-nft nat/NAT-UPLINK rule '-A NAT-UPLINK -m mark --mark 0x1 -j RETURN' (line 15) may decide first: "
     "it matches on meta mark 1, which is not modelled"),
    ({"interface": "wg0", **VLAN, "to": "8.8.8.8"}, "passed", "'-A NAT-OUT -j MASQUERADE' (line 14)"),
])
def test_user_chains_jump_goto_and_return(entry: dict[str, str], outcome: str, words: str) -> None:
    found = one(entry, **netns_case("user-chains"))
    assert found[0] == outcome and words in found[1], found


def test_goto_returns_from_the_chain_that_did_the_goto() -> None:
    # the same chains with -j NAT-UPLINK: its RETURN comes back to NAT-OUT, whose last rule masquerades
    jumped = json.loads(pair("nft_json--netns-user-chains.txt"))
    for item in jumped["nftables"]:
        for statement in item.get("rule", {}).get("expr", []):
            if "goto" in statement:
                statement["jump"] = statement.pop("goto")
    found = one({"interface": "eth0", **VLAN, "to": "8.8.8.8"}, nft_save=None, nft=dump(jumped))
    assert found[0] == "passed" and "nft ip nat/NAT-OUT rule 'counter xt target \"MASQUERADE\"'" in found[1], found


def test_an_unmodelled_match_that_may_decide_is_named() -> None:
    outcome, message = one({"interface": "tun-hma", **VLAN}, **netns_case("conntrack-first"))
    assert outcome == "cannot check"
    assert message == ("cannot check: iptables-nft nat/POSTROUTING rule '-A POSTROUTING -m conntrack --ctstate DNAT -j ACCEPT' (line 7) "
                       "may decide first: it matches on -m conntrack --ctstate DNAT, which is not modelled")


def test_an_unknown_that_cannot_change_the_outcome_does_not_stop_a_verdict() -> None:
    # libvirt: tcp and udp masquerade with a port range before the plain masquerade; any protocol is masqueraded
    outcome, message = one({"interface": "eth0", "from": "192.168.122.0/24", "to": "8.8.8.8"}, **netns_case("corpus-libvirt-multipass", False))
    assert outcome == "passed" and "ip daddr != 192.168.122.0/24 counter masquerade' (handle 7)" in message


@pytest.mark.parametrize(("entry", "words"), [
    ({"interface": "eth0", "from": "192.168.122.0/24"}, "it matches on the destination address (ip daddr 224.0.0.0/24), "
                                                        "which the profile leaves open: add to:"),
    ({"interface": "eth0", "from": "192.168.0.0/16", "to": "8.8.8.8"}, "it matches on ip saddr 192.168.122.0/24, which holds for only "
                                                                      "part of from: 192.168.0.0/16 (ask about each part)"),
])
def test_what_the_profile_leaves_open_is_said(entry: dict[str, str], words: str) -> None:
    outcome, message = one(entry, **netns_case("corpus-libvirt-multipass", False))
    assert outcome == "cannot check" and message.endswith(words), message


@pytest.mark.parametrize(("rule", "words"), [
    ("-A POSTROUTING -o tun-hma -j NFQUEUE --queue-num 1", "may decide first: its target NFQUEUE is not modelled"),
    ("-A POSTROUTING -m set --match-set lans src -j RETURN", "may decide first: it matches on -m set --match-set lans src, which is not modelled"),
    ("-A POSTROUTING -p tcp -m tcp --dport 25 -j RETURN", "may decide first: it matches on the protocol (-p tcp), which the profile leaves open"),
])
def test_legacy_rules_hwcompat_cannot_settle(rule: str, words: str) -> None:
    legacy = f"*nat\n:POSTROUTING ACCEPT [0:0]\n{rule}\n-A POSTROUTING -o tun-hma -j MASQUERADE\nCOMMIT\n"
    outcome, message = one({"interface": "tun-hma", **VLAN}, legacy=legacy)
    assert outcome == "cannot check" and f"'{rule}' (line 3) {words}" in message, message
    after = f"*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o tun-hma -j MASQUERADE\n{rule}\nCOMMIT\n"
    assert one({"interface": "tun-hma", **VLAN}, legacy=after)[0] == "passed"  # after the decisive rule it never runs


# --- nft sets, verdict maps, oifname != ----------------------------------------------------------

@pytest.mark.parametrize(("entry", "outcome", "words"), [
    ({"interface": "tun-hma", **VLAN}, "passed", "masqueraded by nft inet gw/tun rule 'masquerade' (handle 10) or nft inet gw/tun rule "
                                                 "'meta l4proto tcp masquerade to :1024-65535 random' (handle 9)"),
    ({"interface": "tun-hma", "from": "10.0.0.2"}, "passed", "nft inet gw/tun rule 'masquerade'"),  # in the named set's range
    ({"interface": "eth0", **VLAN}, "failed", "gets no NAT: nft inet gw/post rule 'ip saddr @lans oifname vmap @outs' (handle 5) accepts; "),
    ({"interface": "wg0", "from": "192.168.7.0/25"}, "passed",
     "nft inet gw/post rule 'ip saddr { 192.168.7.0/24, 192.168.8.1 } oifname != { \"lo\", \"docker0\" } masquerade' (handle 8)"),
    ({"interface": "wg0", "from": "192.168.8.1"}, "passed", "(handle 8)"),
    ({"interface": "docker0", "from": "192.168.7.0/25"}, "failed", "the end of nft inet gw/post (policy accept)"),
    ({"interface": "wg0", "from": "192.168.6.0/23"}, "cannot check", "which holds for only part of from: 192.168.6.0/23"),
])
def test_sets_and_verdict_maps(entry: dict[str, str], outcome: str, words: str) -> None:
    found = one(entry, **netns_case("native-sets-vmap", False))
    assert found[0] == outcome and words in found[1], found


def test_docker_nftables_backend_dispatches_on_the_input_interface() -> None:
    case = netns_case("corpus-moby-docker-bridges", False)
    found = judge({"any": {"interface": "eth0", "from": "172.17.0.0/16"},
                   "docker0": {"interface": "eth0", "from": "172.17.0.0/16", "iif": "docker0"},
                   "bridge1": {"interface": "eth0", "from": "192.0.2.0/24", "iif": "bridge1"},
                   "hairpin": {"interface": "docker0", "from": "172.17.0.0/16", "iif": "docker0"}}, **case)
    assert found["any"] == ("cannot check", "cannot check: nft ip docker-bridges/nat-POSTROUTING rule 'iifname vmap @nat-postrouting-out-jumps' "
                                            "(handle 22) may decide first: its verdict map matches on the input interface (iifname), which "
                                            "the profile leaves open: add iif:")
    assert found["docker0"] == ("passed", "masqueraded by nft ip docker-bridges/nat-postrouting-out__docker0 rule 'oifname != \"docker0\" "
                                          "ip saddr 172.17.0.0/16 counter masquerade comment \"MASQUERADE\"' (handle 32)")
    assert found["bridge1"][0] == "passed" and found["hairpin"][0] == "failed"


def test_an_anonymous_chain_nft_prints_as_text_is_not_guessed() -> None:
    ruleset = json.loads(pair("nft_json--netns-corpus-sample-ruleset.txt"))
    [raw] = [i for i in ruleset["nftables"] if "rule" in i and any(isinstance(s, str) for s in i["rule"]["expr"])][:1]
    assert raw["rule"]["expr"][-1].startswith("jump {")  # nft 1.0.6 has no JSON for it
    for item in ruleset["nftables"]:
        if "rule" in item and item["rule"]["chain"] == "POSTROUTING_SRCNAT":
            item["rule"]["expr"].insert(0, "jump {\n\t\t\tmeta mark 0x1 return\n\t\t}")
    outcome, message = one({"interface": "eth0", "from": "192.168.2.0/24"}, nft=dump(ruleset))
    assert outcome == "cannot check" and "its statement 'jump { meta mark 0x1 return }' has no JSON form, so it is not modelled" in message


# --- the corpus: iptables-save as published ------------------------------------------------------

def test_docker_host_from_iptables_save_1_4_7_with_duplicated_rules() -> None:
    text = corpus("iptables_save/exadata-issue12--iptables-save-1.4.7-docker-nat-dup.txt")
    old = {"/proc/sys/kernel/osrelease": "2.6.32-754.el6.x86_64\n"}  # no nf_tables (merged in 3.13), no nft
    res = judge({"out": {"interface": "eth0", "from": "172.17.0.0/16"}, "bridge": {"interface": "docker0", "from": "172.17.0.0/16"}},
                legacy=text, nft_save=None, nft=None, files=old)
    # the first of the two identical rules decides, and the 1.4.7 trailing space is not part of its text
    assert res["out"] == ("passed", "masqueraded by iptables-legacy nat/POSTROUTING rule '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 "
                                    "-j MASQUERADE' (line 12)")
    assert res["bridge"][0] == "failed" and "-I POSTROUTING 1 -s 172.17.0.0/16 -o docker0 -j MASQUERADE" in res["bridge"][1]


def test_docker_and_lxc_host_without_the_iptables_save_headers() -> None:
    text = corpus("iptables_save/alivenets--docker-lxc-nat-filter-no-header.txt")
    assert [t.name for t in iptables_save.parse(text)] == ["nat", "filter"]
    res = judge({"lxc": {"interface": "eth0", "from": "10.0.3.0/24"}, "lxc-out": {"interface": "eth0", "from": "10.0.3.0/24", "to": "1.1.1.1"},
                 "docker": {"interface": "eth0", "from": "172.17.0.0/16"}}, legacy=text, nft_save=None, nft=None,
                files={"/proc/sys/kernel/osrelease": "3.10.0\n"})
    assert res["lxc"][0] == "cannot check" and res["lxc"][1].endswith("(! -d 10.0.3.0/24), which the profile leaves open: add to:")
    assert res["lxc-out"] == ("passed", "masqueraded by iptables-legacy nat/POSTROUTING rule '-A POSTROUTING -s 10.0.3.0/24 ! -d 10.0.3.0/24 "
                                        "-j MASQUERADE' (line 11)")
    assert res["docker"][0] == "passed"


@pytest.mark.parametrize(("name", "line", "words"), [
    ("moby--iptables-S-nat-docker-two-bridges.txt", 1, "this is `iptables -S` output (-P/-N lines, no *table or COMMIT), not iptables-save"),
    ("firewalld-issue844--iptables-save-1.8.7-docker-many-bridges-EXCERPT.txt", 2, "this table is not closed by COMMIT (the output was cut short?)"),
])
def test_what_is_not_whole_iptables_save_output_is_refused_naming_the_line(name: str, line: int, words: str) -> None:
    text = corpus(f"iptables_save/{name}")
    with pytest.raises(ParseError) as info:
        iptables_save.parse(text)
    assert info.value.line_no == line and words in info.value.reason
    outcome, message = one({"interface": "eth0", "from": "172.17.0.0/16"}, legacy=text)
    assert outcome == "cannot check" and f"iptables-legacy-save -t nat line {line}: {words}" in message


def test_rhel6_listing_with_an_empty_nat_table() -> None:
    text = corpus("iptables_save/insights--iptables-save-v1.4.7-rhel6.txt")
    outcome, message = one({"interface": "eth0", **VLAN}, legacy=text, nft_save=None, nft=None, files={"/proc/sys/kernel/osrelease": "2.6.32\n"})
    assert outcome == "failed" and message.endswith("gets no NAT: the end of iptables-legacy nat/POSTROUTING (policy accept); "
                                                     "add: iptables -t nat -A POSTROUTING -s 192.168.6.0/24 -o eth0 -j MASQUERADE")


# --- which output is authoritative -----------------------------------------------------------------

def test_iptables_nft_rules_count_once_and_are_named_by_iptables_nft_save() -> None:
    case = netns_case("docker-masquerade")
    tables = natwalk.from_nft(nft_json.parse(case["nft"] or ""), iptables_save.parse(case["nft_save"] or "")[0])
    assert [(t.label, c.name) for t, c in natwalk.hook_chains(tables)] == [("iptables-nft nat", "POSTROUTING")]
    assert one({"interface": "eth0", "from": "172.17.0.0/16"}, **case)[1].endswith("(line 10)")
    # iptables-nft-save listing other rules than nft shows: nft decides, its own words name the rule
    other = case["nft_save"].replace("-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n", "")  # type: ignore[union-attr]
    assert one({"interface": "eth0", "from": "172.17.0.0/16"}, nft_save=other, nft=case["nft"])[1].endswith(
        "'oifname != \"docker0\" ip saddr 172.17.0.0/16 counter xt target \"MASQUERADE\"' (handle 7)")


def test_a_libvirt_host_counts_its_iptables_nft_table_once() -> None:
    tables = natwalk.from_nft(nft_json.parse(pair("nft_json--netns-corpus-libvirt-multipass.txt")))
    assert [(t.label, c.name, c.prio) for t, c in natwalk.hook_chains(tables)] == [("nft ip nat", "POSTROUTING", 100)]


def test_rules_iptables_nft_save_lists_but_nft_does_not_show_are_a_disagreement() -> None:
    case = netns_case("return-before-masquerade")
    outcome, message = one({"interface": "tun-hma", **VLAN}, nft_save=case["nft_save"], nft=NO_TABLES)
    assert outcome == "cannot check" and "the two outputs disagree" in message


def test_unreadable_iptables_nft_save_is_not_passed_over() -> None:
    case = netns_case("negated-oif-masquerade")
    cut = (case["nft_save"] or "").replace("COMMIT\n", "")
    outcome, message = one({"interface": "tun-hma", **VLAN}, nft_save=cut, nft=case["nft"])
    assert outcome == "cannot check" and "iptables-nft-save -t nat line 2: this table is not closed by COMMIT" in message


# --- what can be seen -------------------------------------------------------------------------------

def test_without_nft_the_nftables_chains_cannot_all_be_seen() -> None:
    outcome, message = one({"interface": "tun-hma", **VLAN}, nft_save=pair("iptables_save--netns-negated-oif-masquerade.txt"), nft=None)
    assert (outcome, message) == ("cannot check", "cannot check: nft is not installed, so the nftables chains at the nat postrouting hook "
                                                  "cannot all be seen (iptables-nft-save shows only iptables' own table): install nftables")


def test_a_legacy_nat_table_no_tool_can_read_is_cannot_check() -> None:
    # RHEL 8 and later ship no iptables-legacy-save; the legacy nat table exists all the same
    outcome, message = one({"interface": "tun-hma", **VLAN}, nft=pair("nft_json--netns-negated-oif-masquerade.txt"),
                           files={"/proc/net/ip_tables_names": "nat\n"})
    assert outcome == "cannot check"
    assert message == "cannot check: the legacy nat table exists (/proc/net/ip_tables_names lists nat) but iptables-legacy-save is not installed"


# --- the profile ---------------------------------------------------------------------------------

def test_the_role_asks_about_the_vlan_subnet() -> None:
    [exp] = [e for e in loader.load("hosts/vpn-gateway").network if e.kind == "nat"]
    assert exp.origin.file.endswith("roles/vpn-split-gateway.yaml")
    assert (exp.name, exp.get("from"), exp.get("want")) == ("tun-hma", "192.168.6.0/24", "masquerade")


def test_a_bad_source_network_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match=r"network\.nat\.t\.from: '192\.168\.300\.0/24' is not a valid IPv4 network"):
        loader.load_text("name: x\nnetwork:\n  nat:\n    t: {interface: eth0, want: masquerade, from: 192.168.300.0/24}\n")


# --- the parsers' corner cases ---------------------------------------------------------------------

def test_iptables_save_reads_long_options_old_negation_counters_and_module_negation() -> None:
    text = ("*nat\n:POSTROUTING ACCEPT [0:0]\n"
            "[3:180] -A POSTROUTING --source 10.0.0.0/8 --out-interface ! eth0 -j MASQUERADE\n"
            "-A POSTROUTING -s ! 10.1.0.0/16 -m conntrack ! --ctstate NEW ! -o tun+ -m comment --comment \"-o eth1\" -j RETURN\n"
            "COMMIT\n")
    [table] = iptables_save.parse(text)
    first, second = table.chains[0].rules
    assert [(m.option, m.negated, m.value) for m in first.matches] == [("-s", False, "10.0.0.0/8"), ("-o", True, "eth0")]
    assert [(m.option, m.negated, m.value, m.args) for m in second.matches] == [
        ("-s", True, "10.1.0.0/16", ()), ("-m", False, "conntrack", ("!", "--ctstate", "NEW")), ("-o", True, "tun+", ()),
        ("-m", False, "comment", ("--comment", "-o eth1"))]


@pytest.mark.parametrize(("text", "line", "words"), [
    ("*nat\n:POSTROUTING ACCEPT [0:0]\n-A DOCKER -j RETURN\nCOMMIT\n", 3, "a rule for chain DOCKER, which no :DOCKER line declares"),
    ("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING --dport 80 -j RETURN\nCOMMIT\n", 3, "option '--dport' is not inside a -m match"),
    ("-A POSTROUTING -j MASQUERADE\n", 1, "rule or chain before any *table line"),
    ("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j\nCOMMIT\n", 3, "-j without a target"),
])
def test_iptables_save_refuses_what_it_cannot_read(text: str, line: int, words: str) -> None:
    with pytest.raises(ParseError) as info:
        iptables_save.parse(text)
    assert info.value.line_no == line and words in info.value.reason


@pytest.mark.parametrize(("text", "words"), [
    ('{"nftables": [{"chain": {"family": "ip", "table": "nat", "name": "x"}}]}', "names table ip nat, which is not listed before it"),
    ('{"nftables": [{"table": {"family": "ip", "name": "nat"}}, {"rule": {"family": "ip", "table": "nat", "chain": "x", "expr": []}}]}',
     "a rule of chain x, which is not listed before it"),
    ('{"nftables": [{"table": {"family": "ip", "name": "nat"}}, {"chain": {"family": "ip", "table": "nat", "name": "x"}}, '
     '{"rule": {"family": "ip", "table": "nat", "chain": "x", "expr": [1]}}]}', "a rule's expr must be a list of statements"),
])
def test_nft_json_refuses_what_it_cannot_read(text: str, words: str) -> None:
    with pytest.raises(ParseError, match=words.replace("(", r"\(")):
        nft_json.parse(text)



# --- the bundled Docker host ------------------------------------------------------------------------

DOCKER_HOST = REPO / "snapshots/docker-host-nat"


def test_the_docker_host_snapshot_passes_its_profile_naming_dockers_rule() -> None:
    results = dict(evaluate(loader.load("hosts/docker-host-nat"), FactCache(SnapshotSource(DOCKER_HOST))))
    rule = "iptables-legacy nat/POSTROUTING rule '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE' (line 12)"
    assert {item: (r.outcome, r.message) for item, r in results.items()} == {
        "test_network_nat[containers-out]": ("passed", f"masqueraded by {rule}"),
        "test_network_nat[container-to-web]": ("passed", f"masqueraded by {rule}")}
    assert results["test_network_nat[containers-out]"].source == "iptables-save, nftables (not in this kernel)"


@pytest.mark.parametrize(("entry", "outcome", "words"), [
    ({"interface": "docker0", "from": "172.17.0.0/16"}, "failed", "gets no NAT: the end of iptables-legacy nat/POSTROUTING (policy accept); "
                                                                  "add: iptables -t nat -I POSTROUTING 1 -s 172.17.0.0/16 -o docker0 -j MASQUERADE"),
    ({"interface": "eth0", "from": "192.168.1.0/24"}, "failed", "gets no NAT: the end of iptables-legacy nat/POSTROUTING"),
    ({"interface": "eth0"}, "cannot check", "it matches on the source address (-s 172.17.0.0/16), which the profile leaves open: add from:"),
    ({"interface": "eth0", "from": "172.17.0.0/16", "want": "snat"}, "failed", "gets masqueraded instead, by iptables-legacy nat/POSTROUTING"),
])
def test_the_docker_host_snapshot_answers_other_questions_right(entry: dict[str, str], outcome: str, words: str) -> None:
    nat = {"q": {"want": "masquerade", **entry}}
    [(_, result)] = evaluate(loader.load_text(json.dumps({"name": "q", "description": "q", "network": {"nat": nat}})),
                             FactCache(SnapshotSource(DOCKER_HOST)))
    found = "cannot check" if result.message.startswith("cannot check") else result.outcome
    assert found == outcome and words in result.message, result.message


# --- the walk against a plain interpreter of concrete packets ---------------------------------------

NETS = ("10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.168.6.0/24", "192.168.6.0/25", "8.8.8.0/24")
IFACES = ("tun-hma", "eth0", "eth+", "docker0")
TARGETS = ("MASQUERADE", "SNAT --to-source 10.9.9.9", "ACCEPT", "RETURN", "DROP", "U1", "U2", "", "LOG")
cond_st = st.sampled_from((
    *(f"-s {n}" for n in NETS), *(f"! -s {n}" for n in NETS), *(f"-d {n}" for n in NETS), *(f"! -d {n}" for n in NETS),
    *(f"-o {i}" for i in IFACES), *(f"! -o {i}" for i in IFACES), "-p tcp", "! -p udp", "-m mark --mark 0x1", "-m comment --comment x"))
rule_st = st.tuples(st.lists(cond_st, max_size=3), st.sampled_from(TARGETS), st.booleans())


def _listing(chains: dict[str, list[tuple[list[str], str, bool]]]) -> str:
    lines = ["*nat", ":POSTROUTING ACCEPT [0:0]", ":U1 - [0:0]", ":U2 - [0:0]"]
    for chain, rules in chains.items():
        for conds, drawn, goto in rules:
            loops = (chain == "U2" and drawn in ("U1", "U2")) or (chain == "U1" and drawn == "U1")
            target = "RETURN" if loops else drawn  # no loops, as iptables-restore refuses them
            jump = ("-g " if goto and target in ("U1", "U2") else "-j ") + target if target else ""
            lines.append(" ".join(x for x in (f"-A {chain}", *conds, jump) if x))
    return "\n".join([*lines, "COMMIT", ""])


def _concrete(table: iptables_save.IptTable, pkt: dict[str, object]) -> str:
    """What happens to one packet in one nat table: masquerade, snat, drop or accept (a plain reading of ipt_do_table)."""
    chains = {c.name: c for c in table.chains}

    def holds(m: iptables_save.IptMatch) -> bool:
        if m.option in ("-s", "-d"):
            value = ip_address(str(pkt["src" if m.option == "-s" else "dst"])) in IPv4Network(m.value)
        elif m.option == "-o":
            value = str(pkt["oif"]).startswith(m.value[:-1]) if m.value.endswith("+") else pkt["oif"] == m.value
        elif m.option == "-p":
            value = pkt["proto"] == m.value
        elif m.value == "mark":
            value = pkt["mark"] == 1
        else:
            value = True
        return value != m.negated

    def run(name: str) -> str:  # a verdict, or "return"
        for rule in chains[name].rules:
            if not all(holds(m) for m in rule.matches):
                continue
            target = rule.target or ""
            if target in chains:
                got = run(target)
                if got != "return" or rule.goto:
                    return got
            elif target in ("MASQUERADE", "SNAT", "ACCEPT", "DROP", "RETURN"):
                return {"MASQUERADE": "masquerade", "SNAT": "snat"}.get(target, target.lower())
        return "return"

    got = run("POSTROUTING")
    return "accept" if got == "return" else got


def _packets(question: dict[str, str]) -> list[dict[str, object]]:
    """Concrete packets of the question: the edges of every network inside its source and destination."""
    def edges(net: str | None) -> list[str]:
        base = IPv4Network(net) if net else IPv4Network("0.0.0.0/0")
        found = {base.network_address, base.broadcast_address}
        for n in map(IPv4Network, NETS):
            found |= {a for a in (n.network_address, n.broadcast_address, n.network_address - 1, n.broadcast_address + 1) if a in base}
        return [str(a) for a in sorted(found)]
    return [{"src": s, "dst": d, "oif": question["interface"], "proto": p, "mark": m}
            for s in edges(question.get("from")) for d in edges(question.get("to")) for p in ("tcp", "udp", "icmp") for m in (0, 1)]


@settings(max_examples=300, deadline=None)
@given(first=st.dictionaries(st.sampled_from(("POSTROUTING", "U1", "U2")), st.lists(rule_st, max_size=4)),
       second=st.dictionaries(st.sampled_from(("POSTROUTING", "U1", "U2")), st.lists(rule_st, max_size=3)),
       prio=st.sampled_from((50, 100, 150)), oif=st.sampled_from(("tun-hma", "eth0", "docker0")),
       source=st.sampled_from((None, *NETS)), dest=st.sampled_from((None, "8.8.8.0/24", "10.1.2.0/24")),
       want=st.sampled_from(("masquerade", "snat")))
def test_every_verdict_holds_for_every_packet_it_covers(first, second, prio: int, oif: str, source, dest, want: str) -> None:
    tables = [iptables_save.parse(_listing(first))[0], iptables_save.parse(_listing(second))[0]]
    walked = natwalk.from_iptables([tables[0]], "iptables-legacy")
    walked += [dataclasses.replace(t, chains=tuple(dataclasses.replace(c, prio=prio) if c.nat else c for c in t.chains))
               for t in natwalk.from_iptables([tables[1]], "iptables-nft")]
    question = {"interface": oif, **({"from": source} if source else {}), **({"to": dest} if dest else {})}
    facts = NatFacts(tuple(walked), ("generated",), (), ())
    [exp] = loader.load_text(json.dumps({"name": "t", "description": "t", "network": {"nat": {"q": {**question, "want": want}}}})).network
    try:
        verdict = nat(exp, facts).outcome
    except CannotCheck:
        return
    # iptables-legacy runs at 100: before the other above it, after it below, in either order beside it
    orders = [tables] if prio > 100 else [tables[::-1]] if prio < 100 else [tables, tables[::-1]]
    for pkt in _packets(question):
        for order in orders:
            ends = [_concrete(t, pkt) for t in order]
            final = next((e for e in ends if e != "accept"), "none")
            assert (final == want) == (verdict == "passed"), (pkt, order, ends, verdict)
