"""NAT judged live, in network namespaces the tests create and delete (root, iptables and nft).

Each case builds real chains with iptables-nft and nft inside a namespace, runs the nat items
live there (``hwcompat run``) and checks the verdicts: RETURN before MASQUERADE, the brief's
``! -o eth0`` rule, a Docker host's ``! -o docker0`` rule, user chains with jump, goto and
SNAT, an unmodelled conntrack match, a base chain iptables-nft-save does not show, native nft
sets and verdict maps, and three corpus rulesets (selftests/data/corpus/nft_text/) loaded with
``nft -f``.

The same cases are the recorded parser pairs ``selftests/data/parsers/{iptables_save,nft_json}--netns-CASE``:
``python -m selftests.live.test_nat_live`` (as root) rebuilds each case and writes what
``iptables-nft-save -t nat`` and ``nft -j list ruleset`` print (nft 1.0.6 and iptables 1.8.9 wrote
the committed ones). The last test checks that this machine's tools still give, for every
question, the verdict the recorded outputs give. Nothing is sent: NAT is only read.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from hwcompat import natwalk
from hwcompat.checks.nat import nat
from hwcompat.errors import CannotCheck
from hwcompat.facts.nat import NatFacts
from hwcompat.parsers import iptables_save, nft_json
from hwcompat.profile import loader
from selftests.conftest import REPO
from selftests.live import netns

REASON = netns.why_not() or ("" if shutil.which("iptables-nft") and shutil.which("nft") else "iptables-nft and nft are not installed")
pytestmark = [pytest.mark.live, pytest.mark.skipif(bool(REASON), reason=REASON or "ok")]
PAIRS = REPO / "selftests" / "data" / "parsers"
CORPUS = REPO / "selftests" / "data" / "corpus" / "nft_text"


@dataclass(frozen=True)
class Case:
    """A ruleset (shell lines run in the namespace; ``nft -f CORPUS:name`` loads a corpus text) and its questions.

    ``ask``: label -> (nat entry, outcome, words the message holds).
    """

    script: tuple[str, ...]
    ask: dict[str, tuple[dict[str, str], str, str]]
    iptables: bool = True


VLAN = {"from": "192.168.6.0/24"}
CASES: dict[str, Case] = {
    "return-before-masquerade": Case((
        "iptables-nft -t nat -A POSTROUTING -o tun-hma -j RETURN",
        "iptables-nft -t nat -A POSTROUTING -o tun-hma -j MASQUERADE",
    ), {
        "tun": ({"interface": "tun-hma", **VLAN}, "failed", "rule '-A POSTROUTING -o tun-hma -j RETURN' (line 7) returns (policy accept)"),
        "lan": ({"interface": "eth0", **VLAN}, "failed", "the end of iptables-nft nat/POSTROUTING (policy accept)"),
    }),
    "negated-oif-masquerade": Case((
        "iptables-nft -t nat -A POSTROUTING -s 192.168.6.0/24 ! -o eth0 -j MASQUERADE",
    ), {
        "tun": ({"interface": "tun-hma", **VLAN}, "passed", "'-A POSTROUTING -s 192.168.6.0/24 ! -o eth0 -j MASQUERADE' (line 7)"),
        "host": ({"interface": "tun-hma", "from": "192.168.6.10"}, "passed", "! -o eth0 -j MASQUERADE"),
        "lan": ({"interface": "eth0", **VLAN}, "failed", "no NAT: the end of iptables-nft nat/POSTROUTING"),
        "any": ({"interface": "tun-hma"}, "cannot check", "(-s 192.168.6.0/24), which the profile leaves open: add from:"),
    }),
    "docker-masquerade": Case((
        "iptables-nft -t nat -N DOCKER",
        "iptables-nft -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
        "iptables-nft -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
        "iptables-nft -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
        "iptables-nft -t nat -A DOCKER -i docker0 -j RETURN",
    ), {
        "containers": ({"interface": "eth0", "from": "172.17.0.0/16"}, "passed", "! -o docker0 -j MASQUERADE' (line 10)"),
        "bridge": ({"interface": "docker0", "from": "172.17.0.0/16"}, "failed", "the end of iptables-nft nat/POSTROUTING"),
    }),
    "user-chains": Case((
        "iptables-nft -t nat -N NAT-OUT",
        "iptables-nft -t nat -N NAT-UPLINK",
        "iptables-nft -t nat -A POSTROUTING -m comment --comment 'what leaves' -j NAT-OUT",
        "iptables-nft -t nat -A POSTROUTING -d 192.168.0.0/16 -j MASQUERADE",
        "iptables-nft -t nat -A NAT-OUT -d 192.168.0.0/16 -j RETURN",
        "iptables-nft -t nat -A NAT-OUT -o tun-hma -j SNAT --to-source 10.200.0.6",
        "iptables-nft -t nat -A NAT-OUT -o eth0 -g NAT-UPLINK",
        "iptables-nft -t nat -A NAT-OUT -j MASQUERADE",
        "iptables-nft -t nat -A NAT-UPLINK -m mark --mark 0x1 -j RETURN",
        "iptables-nft -t nat -A NAT-UPLINK -j MASQUERADE",
    ), {
        "tunnel": ({"interface": "tun-hma", **VLAN, "to": "8.8.8.8", "want": "snat"}, "passed", "-j SNAT --to-source 10.200.0.6' (line 12)"),
        "tunnel-masq": ({"interface": "tun-hma", **VLAN, "to": "8.8.8.8"}, "failed", "source-NATed instead, by iptables-nft nat/NAT-OUT"),
        # NAT-OUT returns: POSTROUTING goes on to its second rule
        "lan": ({"interface": "eth0", **VLAN, "to": "192.168.1.5"}, "passed", "'-A POSTROUTING -d 192.168.0.0/16 -j MASQUERADE' (line 10)"),
        # after -g NAT-UPLINK, its RETURN skips the rest of NAT-OUT (a jump would reach line 14's MASQUERADE)
        "uplink": ({"interface": "eth0", **VLAN, "to": "8.8.8.8"}, "cannot check",
                   "rule '-A NAT-UPLINK -m mark --mark 0x1 -j RETURN' (line 15) may decide first: it matches on meta mark 1, "
                   "which is not modelled"),
        "other": ({"interface": "wg0", **VLAN, "to": "8.8.8.8"}, "passed", "'-A NAT-OUT -j MASQUERADE' (line 14)"),
    }),
    "conntrack-first": Case((
        "iptables-nft -t nat -A POSTROUTING -m conntrack --ctstate DNAT -j ACCEPT",
        "iptables-nft -t nat -A POSTROUTING -o tun-hma -j MASQUERADE",
    ), {
        "tun": ({"interface": "tun-hma", **VLAN}, "cannot check",
                "(line 7) may decide first: it matches on -m conntrack --ctstate DNAT, which is not modelled"),
    }),
    "incompatible-base-chain": Case((
        "iptables-nft -t nat -A POSTROUTING -o tun-hma -j RETURN",
        "nft 'add chain ip nat late { type nat hook postrouting priority 150; }'",
        "nft add rule ip nat late oifname tun-hma masquerade",
    ), {
        "tun": ({"interface": "tun-hma", **VLAN}, "passed", "masqueraded by nft ip nat/late rule 'oifname \"tun-hma\" masquerade'"),
    }),
    "native-sets-vmap": Case((
        "nft add table inet gw",
        "nft 'add set inet gw lans { type ipv4_addr; flags interval; elements = { 192.168.6.0/24, 10.0.0.1-10.0.0.9 }; }'",
        "nft add chain inet gw tun",
        "nft 'add map inet gw outs { type ifname : verdict; elements = { \"tun-hma\" : jump tun, \"eth0\" : accept }; }'",
        "nft 'add chain inet gw post { type nat hook postrouting priority srcnat; policy accept; }'",
        "nft add rule inet gw post ip saddr @lans oifname vmap @outs",
        "nft add rule inet gw post 'ip saddr { 192.168.7.0/24, 192.168.8.1 } oifname != { \"lo\", \"docker0\" } masquerade'",
        "nft add rule inet gw tun meta l4proto tcp masquerade to :1024-65535 random",
        "nft add rule inet gw tun masquerade",
    ), {
        "tun": ({"interface": "tun-hma", **VLAN}, "passed", "nft inet gw/tun rule 'masquerade'"),
        "lan": ({"interface": "eth0", **VLAN}, "failed", "rule 'ip saddr @lans oifname vmap @outs' (handle 5) accepts"),
        "other-net": ({"interface": "wg0", "from": "192.168.7.0/25"}, "passed", "oifname != { \"lo\", \"docker0\" } masquerade"),
        "docker": ({"interface": "docker0", "from": "192.168.7.0/25"}, "failed", "the end of nft inet gw/post (policy accept)"),
        "split": ({"interface": "wg0", "from": "192.168.6.0/23"}, "cannot check", "only part of from: 192.168.6.0/23"),
    }, iptables=False),
    "corpus-moby-docker-bridges": Case(("nft -f CORPUS:moby--nft-docker-bridges-table-vmap-masquerade.txt",), {
        "any-iif": ({"interface": "eth0", "from": "172.17.0.0/16"}, "cannot check", "its verdict map matches on the input interface (iifname)"),
        "containers": ({"interface": "eth0", "from": "172.17.0.0/16", "iif": "docker0"}, "passed",
                       "nft ip docker-bridges/nat-postrouting-out__docker0 rule 'oifname != \"docker0\" ip saddr 172.17.0.0/16 counter masquerade"),
    }, iptables=False),
    "corpus-sample-ruleset": Case(("nft -f CORPUS:nftables-tests--sample-ruleset-inet-srcnat-masquerade.txt",), {
        "home": ({"interface": "eth0", "from": "192.168.2.0/24"}, "passed", "'ip saddr 192.168.1.0-192.168.4.255 oifname \"eth0\" masquerade'"),
        "elsewhere": ({"interface": "eth1", "from": "192.168.2.0/24"}, "failed", "the end of nft inet filter/POSTROUTING_SRCNAT"),
    }, iptables=False),
    "corpus-libvirt-multipass": Case(("nft -f CORPUS:brentgroves--ubuntu2404-libvirt-multipass-iptables-nft-ruleset.txt",), {
        "out": ({"interface": "eth0", "from": "192.168.122.0/24", "to": "8.8.8.8"}, "passed", "ip daddr != 192.168.122.0/24 counter masquerade"),
        "any-dest": ({"interface": "eth0", "from": "192.168.122.0/24"}, "cannot check", "which the profile leaves open: add to:"),
        "multicast": ({"interface": "eth0", "from": "192.168.122.0/24", "to": "224.0.0.251"}, "failed", "the end of nft ip nat/POSTROUTING"),
    }, iptables=False),
}


def loadable(text: str) -> str:
    """A corpus ``nft list ruleset`` text as nft 1.0.6 loads it: iptables-nft's warnings and ``# handle`` notes dropped,
    ``xt target "CHECKSUM"`` rules (mangle; nft cannot make xt rules) left out, ``hook output priority dstnat`` as -100
    (1.0.6 knows that keyword for prerouting only)."""
    lines = [line.split(" # handle")[0].replace(" # CHECKSUM fill", "").replace("hook output priority dstnat", "hook output priority -100")
             for line in text.splitlines() if not line.startswith("# Warning") and 'xt target "CHECKSUM"' not in line]
    return "\n".join(lines) + "\n"


def build(ns: str, case: Case, tmp: Path) -> None:
    """Make the case's chains in the namespace."""
    for line in case.script:
        if line.startswith("nft -f CORPUS:"):
            name = line.removeprefix("nft -f CORPUS:")
            (tmp / name).write_text(loadable((CORPUS / name).read_text()))
            netns.run(ns, "nft", "-f", str(tmp / name))
        else:
            netns.run(ns, "sh", "-ec", line)


def profile(case: Case) -> str:
    """A profile asking the case's questions."""
    entries = {label: {"want": "masquerade", **entry} for label, (entry, _, _) in case.ask.items()}
    return json.dumps({"name": "nat-live", "description": "NAT items of one namespace", "network": {"nat": entries}})


def run_items(ns: str, case: Case, tmp: Path) -> dict[str, tuple[str, str]]:
    """The nat items run live in the namespace: label -> (outcome, message), 'cannot check' told apart from failed."""
    (tmp / "p.yaml").write_text(profile(case))
    out = tmp / "r.json"
    netns.run(ns, sys.executable, "-m", "hwcompat.cli", "run", "--profile", str(tmp / "p.yaml"), "--json", str(out), check=False)
    items = json.loads(out.read_text())["items"]
    found = {}
    for item in items:
        label = item["test"].split("test_network_nat[", 1)[-1].rstrip("]")
        message = item["results"][0]["message"] if item["results"] else item["message"]
        cannot = item["outcome"] == "failed" and message.startswith("cannot check")
        found[label] = ("cannot check" if cannot else item["outcome"], message)
    return found


@pytest.mark.parametrize("name", list(CASES))
def test_nat_items_judge_the_live_chains(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    with netns.namespace("nat") as ns:
        build(ns, case, tmp_path)
        found = run_items(ns, case, tmp_path)
    for label, (_, outcome, words) in case.ask.items():
        assert found[label][0] == outcome, (label, found[label])
        assert words in found[label][1], (label, found[label])


def outputs(ns: str) -> tuple[str, str]:
    """What iptables-nft-save -t nat and nft -j list ruleset print in the namespace."""
    return netns.run(ns, "iptables-nft-save", "-t", "nat").stdout, netns.run(ns, "nft", "-j", "list", "ruleset").stdout


def verdicts(case: Case, ipt: str | None, nft: str) -> dict[str, str]:
    """The case's verdicts judged from these outputs."""
    listed = next((t for t in iptables_save.parse(ipt) if t.name == "nat"), None) if ipt else None
    facts = NatFacts(tuple(natwalk.from_nft(nft_json.parse(nft), listed)), ("recorded",), (), ())
    out = {}
    for exp in loader.load_text(profile(case)).network:
        try:
            out[exp.key] = nat(exp, facts).outcome
        except CannotCheck:
            out[exp.key] = "cannot check"
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_recorded_pairs_are_what_nft_prints_here(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    ipt_file, nft_file = PAIRS / f"iptables_save--netns-{name}.txt", PAIRS / f"nft_json--netns-{name}.txt"
    with netns.namespace("rec") as ns:
        build(ns, case, tmp_path)
        ipt, nft = outputs(ns)
    recorded = verdicts(case, ipt_file.read_text() if case.iptables else None, nft_file.read_text())
    assert verdicts(case, ipt if case.iptables else None, nft) == recorded == {k: v[1] for k, v in case.ask.items()}


def record() -> None:
    """Write the parser pairs' inputs from fresh namespaces (the expected .json: see selftests/pairs.py)."""
    import tempfile

    for name, case in CASES.items():
        with tempfile.TemporaryDirectory() as tmp, netns.namespace("rec") as ns:
            build(ns, case, Path(tmp))
            ipt, nft = outputs(ns)
        if case.iptables:
            (PAIRS / f"iptables_save--netns-{name}.txt").write_text(ipt)
        (PAIRS / f"nft_json--netns-{name}.txt").write_text(nft)
        print(f"recorded {name}")


if __name__ == "__main__":
    record()
