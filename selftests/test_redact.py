"""Redaction: nothing that identifies the machine survives, and every verdict stays the same."""

from __future__ import annotations

import gzip
import ipaddress
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwcompat.facts.cache import FactCache
from hwcompat.plan import evaluate
from hwcompat.profile import loader
from hwcompat.redact import KEPT_V4, KEPT_V6, Redactor, redact_snapshot
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import REPO

PAIRS = [("hosts/x10sae-xen-dom0", "x10sae-xen-dom0"), ("hosts/xen-guest-tmem", "xen-guest-tmem"), ("hosts/vpn-gateway", "vpn-gateway"),
         ("hosts/vpn-gateway", "vpn-gateway-fixed"), ("boards/supermicro-x10sae", "x10sae-core-i5"),
         ("boards/supermicro-x10slm-f", "x10slm-f"), ("roles/xen-dom0-tmem", "debian12-xen-dom0")]


def outcomes(profile: str, snapshot: Path) -> dict[str, str]:
    return {item: r.outcome for item, r in evaluate(loader.load(profile), FactCache(SnapshotSource(snapshot)))}


@pytest.mark.parametrize(("profile", "name"), PAIRS)
def test_redacting_a_bundled_snapshot_changes_no_verdict(tmp_path: Path, profile: str, name: str) -> None:
    out = redact_snapshot(REPO / "snapshots" / name, tmp_path / "redacted.tar.gz", Redactor(b"k" * 32))
    assert outcomes(profile, out) == outcomes(profile, REPO / "snapshots" / name)


IDENTIFYING = {
    "host name": "gw-customer-17.example.com",
    "serial": "S1LVW2A7300042",
    "uuid": "4c4c4544-0042-3510-8052-b4c04f4d3232",
    "mac": "52:54:00:12:34:56",
    "public ipv4": "81.169.145.77",
    "public ipv6": "2a01:4f8:1:2::5",
    "public net": "81.169.145.0/24",
}


def _doctored(tmp_path: Path) -> Path:
    """The published gateway with what a real one would have: a name, serials, a public uplink, IPv6."""
    snap = tmp_path / "gateway"
    shutil.copytree(REPO / "snapshots" / "vpn-gateway", snap, symlinks=True)
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["hostname"] = IDENTIFYING["host name"]
    manifest["recorded"].append("/sys/class/dmi/id")
    (snap / "fs/proc/sys/kernel/hostname").write_text(IDENTIFYING["host name"] + "\n")
    dmi = snap / "fs/sys/class/dmi/id"
    dmi.mkdir(parents=True)
    (dmi / "product_serial").write_text(IDENTIFYING["serial"] + "\n")
    (dmi / "product_uuid").write_text(IDENTIFYING["uuid"] + "\n")
    routes = json.loads((snap / "cmd/ip_-j_route_show_table_all").read_text())
    routes.append({"dst": IDENTIFYING["public net"], "gateway": "192.168.1.254", "dev": "eth0", "flags": []})
    routes.append({"dst": "2a01:4f8:1:2::/64", "dev": "eth0", "protocol": "kernel", "metric": 256, "pref": "medium", "flags": []})
    (snap / "cmd/ip_-j_route_show_table_all").write_text(json.dumps(routes))
    addrs = json.loads((snap / "cmd/ip_-j_addr_show").read_text())
    addrs.append({"ifname": "wan0", "address": IDENTIFYING["mac"], "addr_info": [
        {"family": "inet", "local": IDENTIFYING["public ipv4"], "prefixlen": 24},
        {"family": "inet6", "local": IDENTIFYING["public ipv6"], "prefixlen": 64}]})
    (snap / "cmd/ip_-j_addr_show").write_text(json.dumps(addrs))
    conf = snap / "fs/etc/openvpn/hma.conf"
    conf.write_text(conf.read_text().replace("remote vpn.example.invalid 553", f"remote {IDENTIFYING['public ipv4']} 553"))
    (snap / "manifest.json").write_text(json.dumps(manifest))
    return snap


def _everything(tarball: Path) -> str:
    """Every member name, link target and content of a tarball, as one text."""
    parts = [gzip.decompress(tarball.read_bytes()).decode("utf-8", "replace")]  # names and contents, raw
    with tarfile.open(tarball) as tar:
        parts += [f"{m.name} {m.linkname}" for m in tar.getmembers()]
    return "\n".join(parts)


def test_nothing_identifying_survives_and_the_verdicts_stay(tmp_path: Path) -> None:
    snap = _doctored(tmp_path)
    out = redact_snapshot(snap, tmp_path / "redacted.tar.gz", Redactor(b"k" * 32))
    text = _everything(out)
    for what, value in IDENTIFYING.items():
        assert value not in text, what
        assert value.split("/")[0] not in text, what
    assert "81.169." not in text  # a public address keeps only the leading bits it shares with the kept ranges' paths
    assert "52:54:00:" in text  # the vendor part of the MAC stays: it says which chip the port is
    assert "192.168.6.0/24" in text  # private addresses stay, so shared profiles still match
    assert outcomes("hosts/vpn-gateway", out) == outcomes("hosts/vpn-gateway", snap)
    with tarfile.open(out) as tar:
        manifest = json.loads(tar.extractfile("redacted/manifest.json").read())  # type: ignore[union-attr]
    assert manifest["redacted"]["replaced"]["ipv4"] >= 2 and manifest["redacted"]["replaced"]["macs"] >= 1


def test_the_cli_redacts_and_snapshot_redact_records_redacted(tmp_path: Path) -> None:
    snap = _doctored(tmp_path)
    out = tmp_path / "r.tar.gz"
    proc = subprocess.run([sys.executable, "-m", "hwcompat.cli", "redact", str(snap), "--out", str(out)], capture_output=True, text=True, cwd=REPO,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert "replaced" in proc.stdout and IDENTIFYING["public ipv4"] not in _everything(out)
    again = subprocess.run([sys.executable, "-m", "hwcompat.cli", "redact", str(snap), "--out", str(out)], capture_output=True, text=True,
                           cwd=REPO, check=False)
    assert again.returncode == 4 and "already exists" in again.stderr


def test_one_key_gives_one_set_of_pseudonyms() -> None:
    a, b, c = Redactor(b"a" * 32), Redactor(b"a" * 32), Redactor(b"c" * 32)
    line = "inet 81.169.145.77/24 brd 81.169.145.255 scope global wan0 link/ether 52:54:00:12:34:56"
    assert a.text(line) == b.text(line) != c.text(line)
    assert a.text("81.169.145.0/24").endswith(".0/24")  # a network stays a network


ADDR4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
ADDR6 = st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address)


def _common(a: int, b: int, bits: int) -> int:
    return bits - (a ^ b).bit_length()


@given(st.one_of(st.tuples(ADDR4, ADDR4), st.tuples(ADDR6, ADDR6)), st.booleans())
def test_pseudonyms_preserve_prefixes_and_never_cross_a_kept_range(pair: tuple, all_addresses: bool) -> None:  # type: ignore[type-arg]
    r = Redactor(b"p" * 32, all_addresses=all_addresses)
    a, b = pair
    ma, mb = r.address(a), r.address(b)
    bits = a.max_prefixlen
    assert _common(int(ma), int(mb), bits) == _common(int(a), int(b), bits)  # prefix-preserving (so also one-to-one)
    kept = KEPT_V4 if a.version == 4 else KEPT_V6
    if not all_addresses:
        for net in kept:
            assert (a in net) == (ma in net), net  # nothing moves into or out of a kept range
            if a in net:
                assert ma == a
