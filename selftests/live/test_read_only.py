"""A live run changes nothing and runs only the commands the README lists, proven in a network namespace.

The namespace starts with no legacy (x_tables) table at all, then gets the seed gateway (an
iptables-nft MASQUERADE, rules, table 3). Every shipped profile is then run live inside it under
strace; before and after, the test records /proc/net/ip_tables_names, ``nft list ruleset``, the
rules, the routes, the links and forwarding sysctls of the namespace, and /proc/modules.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from hwcompat.profile import loader
from selftests.conftest import REPO
from selftests.live import netns
from selftests.live.test_net_live import build_gateway

REASON = netns.why_not() or ("" if shutil.which("iptables") and shutil.which("nft") else "iptables and nft are not installed")
pytestmark = [pytest.mark.live, pytest.mark.skipif(bool(REASON), reason=REASON or "ok")]
PROFILES = sorted(str(p) for p in loader.PROFILES_DIR.rglob("*.yaml"))
#: the role's parameters for the gateway built here: the seed's, as hosts/vpn-gateway sets them
SEED_PARAMS = [f"--param={p.name}={p.value}" for p in loader.load("hosts/vpn-gateway").params]


def state(ns: str) -> dict[str, str]:
    """What a read-only run must leave as it found it."""
    def run(*argv: str) -> str:
        done = netns.run(ns, *argv, check=False)
        return f"exit {done.returncode}\n{done.stdout}{done.stderr}"

    modules = Path("/proc/modules")
    return {
        "ip_tables_names": run("sh", "-c", "cat /proc/net/ip_tables_names 2>/dev/null || echo absent"),
        "nft": run("nft", "list", "ruleset"),
        "rules": run("ip", "rule", "show"),
        "routes": run("ip", "route", "show", "table", "all"),
        "links": run("ip", "link", "show"),  # without -d: bridge timers tick
        "sysctl": run("sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/*/rp_filter"),
        "modules": modules.read_text() if modules.exists() else "absent",
    }


def readme_programs() -> set[str]:
    """The programs the README's 'What a live run executes' section names."""
    text = (REPO / "README.md").read_text()
    section = text.split("### What a live run executes", 1)[1].split("\n#", 1)[0]
    return {cmd.split()[0] for cmd in re.findall(r"`([^`]+)`", section) if not cmd.startswith("/")}


def test_every_shipped_profile_runs_live_without_changing_anything(tmp_path: Path) -> None:
    strace = shutil.which("strace")
    with netns.namespace("ro") as ns:
        assert "absent" in state(ns)["ip_tables_names"] or "nat" not in state(ns)["ip_tables_names"]
        for key in ("all", "default"):  # IPv6 link-local addresses would appear on their own while the test runs
            netns.sysctl(ns, f"ipv6.conf.{key}.disable_ipv6", 1)
        build_gateway(ns, guard=True)
        before = state(ns)
        ran: set[str] = set()
        for profile in PROFILES:
            trace = tmp_path / "trace"
            prefix = [strace, "-f", "-qq", "-e", "trace=execve", "-o", str(trace)] if strace else []
            params = SEED_PARAMS if profile.endswith("roles/vpn-split-gateway.yaml") else []  # the gateway built here
            done = netns.run(ns, *prefix, sys.executable, "-m", "hwcompat.cli", "run", "--profile", profile, *params, "--", "-q", check=False)
            assert done.returncode in (0, 1, 3), (profile, done.stdout[-2000:], done.stderr[-2000:])
            if strace:
                ran |= {Path(m).name for m in re.findall(r'execve\("([^"]+)", .*\) = 0$', trace.read_text(), re.M)}
        after = state(ns)
    assert after == before
    if strace:
        allowed = readme_programs() | {Path(sys.executable).name, "strace"}
        assert ran - allowed == set(), f"commands a run executed that the README does not list: {sorted(ran - allowed)}"
        assert {"ip", "nft", "iptables-nft-save"} <= ran  # the network profiles did look
    else:
        pytest.skip("strace is not installed, so the commands a run executes were not traced (apt-get install strace)")
