"""The sh collector records what `hwcompat snapshot` records, on fake machines that take every branch.

Each fake machine (a tree and stub commands, see selftests/collector_support.py) is recorded by the
Python collectors (RecordingSource over a LiveSource rooted in the tree) and by
hwcompat/collector/hwcompat-collect under dash with the machine's tools and under busybox sh with
busybox's. The manifests must agree (recorded roots, listed directories, commands with exit and
stderr, stat, calls), the two snapshots must replay to the same facts, and every item of every
bundled profile must get the same verdict. A Python collector that starts reading something the sh
collector does not (or the other way round) fails here, naming the path or the command.

The machines: every bundled snapshot as it is, and variants that take the conditional branches
(old iproute2, iptables before 1.8, no nat table, nf_tables on disk but not loaded, a Dom0 without
sysfs version or with Xen 4.13, a guest, OpenVPN configs with relative and quoted credential
paths, broken inputs that stop a walk early, undecodable stderr, odd file names).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hwcompat.errors import CannotCheck, SnapshotError
from hwcompat.facts.cache import DOMAINS, FactCache
from hwcompat.sources import live
from hwcompat.sources.snapshot import SnapshotSource
from selftests.collector_support import (
    COLLECTOR,
    RootedLiveSource,
    collect_sh,
    env_path,
    fake_machine,
    manifest_view,
    record_python,
    shell,
    stub_commands,
    tools_dir,
    verdicts,
)
from selftests.conftest import REPO

CORPUS = REPO / "selftests" / "data" / "corpus"
SNAPSHOTS = sorted([*(REPO / "snapshots").iterdir(), *(REPO / "selftests" / "data" / "snapshots").iterdir()])
SHELLS = [s for s in ("dash", "busybox") if shutil.which(s)]
pytestmark = pytest.mark.skipif(not SHELLS, reason="neither dash nor busybox is installed (apt-get install dash busybox)")

Commands = dict[tuple[str, ...], tuple[bytes, bytes, int]]
Mutation = Callable[[Path, Commands], None]


def put(root: Path, path: str, content: str | bytes, mode: int | None = None) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    target.write_bytes(content.encode() if isinstance(content, str) else content)
    if mode is not None:
        target.chmod(mode)


def link(root: Path, path: str, target: str) -> None:
    where = root / path.lstrip("/")
    where.parent.mkdir(parents=True, exist_ok=True)
    where.symlink_to(target)


def drop(root: Path, path: str) -> None:
    target = root / path.lstrip("/")
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    else:
        target.unlink()


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def modules(root: Path, loaded: list[str], on_disk: list[str], release: str = "3.13-1-amd64") -> None:
    """A kernel release, /sys/module with these modules, and modules.dep naming these .ko files."""
    put(root, "/proc/sys/kernel/osrelease", release + "\n")
    for name in loaded:
        (root / "sys" / "module" / name).mkdir(parents=True, exist_ok=True)
    put(root, f"/lib/modules/{release}/modules.dep", "".join(f"kernel/{m}.ko:\n" for m in on_disk))


def old_iproute2(root: Path, cmds: Commands) -> None:
    """iproute2 before 4.14: -j is unknown, so rules and routes are read from the text form."""
    for argv, text in ((("rule", "show"), "ip_rule_text/tailscale-issue4038--udm-pro-old-iproute2-fwmark-nomask.txt"),
                       (("route", "show", "table", "all"), "ip_route_text/insights--ip-route-table-all-throw-named-tables.txt")):
        cmds[("ip", "-j", *argv)] = (b"", b'Option "-j" is unknown, try "ip -help".\n', 255)
        cmds[("ip", *argv)] = (corpus(text), b"", 0)


def iproute2_414(root: Path, cmds: Commands) -> None:
    """iproute2 4.14-4.16: ip -j route prints text with exit 0 (no fallback: it is read, and refused)."""
    cmds[("ip", "-j", "route", "show", "table", "all")] = (corpus("iproute2_414_text_under_j/curtin-pr5--bionic-ip-json-route-not-json.txt"), b"", 0)


def ip_missing(root: Path, cmds: Commands) -> None:
    """No iproute2 at all: nothing to fall back to."""
    for argv in [a for a in cmds if a[0] == "ip"]:
        del cmds[argv]


def iptables_14(root: Path, cmds: Commands) -> None:
    """iptables before 1.8 (one iptables-save), a legacy nat table, nf_tables on disk but not loaded (so no nft)."""
    out = cmds.pop(("iptables-legacy-save", "-t", "nat"))
    del cmds[("iptables-nft-save", "-t", "nat")]
    cmds[("iptables-save", "-t", "nat")] = out
    put(root, "/proc/net/ip_tables_names", "nat\nfilter\n")
    modules(root, ["ip_tables", "iptable_nat"], ["net/netfilter/nf_tables", "net/ipv4/netfilter/iptable_nat"])


def no_nat_table(root: Path, cmds: Commands) -> None:
    """No legacy nat table (asking would create it), nf_tables loaded: nft and iptables-nft-save only."""
    put(root, "/proc/net/ip_tables_names", "filter\n")
    modules(root, ["nf_tables", "ip_tables"], ["net/netfilter/nf_tables"])


def no_ip_tables(root: Path, cmds: Commands) -> None:
    """ip_tables not loaded (no ip_tables_names); nf_tables built in (not in modules.dep)."""
    modules(root, ["nf_tables"], ["net/ipv4/netfilter/iptable_nat"])
    shutil.rmtree(root / "sys" / "module" / "nf_tables")


def broken_tables_names(root: Path, cmds: Commands) -> None:
    """An ip_tables_names that is binary: whether a nat table exists cannot be told, so the recorded answer is asked for."""
    put(root, "/proc/net/ip_tables_names", b"\x00\x01nat\n")
    modules(root, ["ip_tables"], ["net/netfilter/nf_tables"], release="3.13 odd")


def dom0_no_sysfs_version(root: Path, cmds: Commands) -> None:
    """A Dom0 whose /sys/hypervisor has no version: xl info's xen_major/minor say it (4.3 here, so tmem-list is asked)."""
    drop(root, "/sys/hypervisor/version")


def dom0_no_sysfs_version_413(root: Path, cmds: Commands) -> None:
    """No /sys/hypervisor/version, and xl info says Xen 4.13: the version is read from xl info, so tmem-list is not asked."""
    drop(root, "/sys/hypervisor/version")
    info = (REPO / "snapshots/x10sae-xen-dom0/cmd/xl_info").read_bytes()
    cmds[("xl", "info")] = (re.sub(rb"(xen_minor\s*:\s*)3", rb"\g<1>13", info), b"", 0)


def dom0_xen_413(root: Path, cmds: Commands) -> None:
    """Xen 4.13 removed tmem: xl tmem-list is never run."""
    put(root, "/sys/hypervisor/version/minor", "13\n")


def dom0_bad_xl_info(root: Path, cmds: Commands) -> None:
    """No sysfs version and an xl info that fails: the version is unknown, so tmem-list is asked."""
    drop(root, "/sys/hypervisor/version")
    cmds[("xl", "info")] = (b"", b"xc: error: Could not obtain handle on privileged command interface (13 = Permission denied)\n", 1)


def domu(root: Path, cmds: Commands) -> None:
    """A Xen guest: capabilities without control_d, so no xl at all."""
    put(root, "/proc/xen/capabilities", "\n")


def hypervisor_kvm(root: Path, cmds: Commands) -> None:
    put(root, "/sys/hypervisor/type", "kvm\n")


def openvpn(root: Path, cmds: Commands) -> None:
    """Configs in both directories; credential paths relative, quoted, with .., or absent; none is read."""
    put(root, "/etc/openvpn/a.conf", 'client\nauth-user-pass "my creds.txt" # comment\n<ca>\n-----BEGIN\n</ca>\n')
    put(root, "/etc/openvpn/my creds.txt", "user\nTOPSECRET\n", 0o600)
    put(root, "/etc/openvpn/b.conf", "dev tun0\nauth-user-pass\n--auth-user-pass ../secret/x/../pw\n")
    put(root, "/etc/secret/pw", "TOPSECRET\n", 0o640)
    put(root, "/etc/openvpn/notes.txt", "auth-user-pass /etc/shadow\n")
    put(root, "/etc/openvpn/client/c.conf", "remote vpn.example 1194\nauth-user-pass creds\\ file 'unclosed\n")
    put(root, "/etc/openvpn/client/d.conf", "auth-user-pass /etc/openvpn/client/missing\n")
    put(root, "/etc/openvpn/client/e.conf", "auth-user-pass ''\n")
    link(root, "/etc/openvpn/client/f.conf", "../a.conf")


def openvpn_stops(root: Path, cmds: Commands) -> None:
    """An inline block never closed: hwcompat stops there (b.conf and client/ are not read)."""
    put(root, "/etc/openvpn/a.conf", "client\n<ca>\nauth-user-pass /etc/openvpn/pw\n")
    put(root, "/etc/openvpn/b.conf", "auth-user-pass /etc/openvpn/pw\n")
    put(root, "/etc/openvpn/client/c.conf", "auth-user-pass /etc/openvpn/pw\n")


def openvpn_empty(root: Path, cmds: Commands) -> None:
    """A config with no directive at all stops the walk too."""
    put(root, "/etc/openvpn/a.conf", "# nothing\n;\n")
    put(root, "/etc/openvpn/b.conf", "auth-user-pass /etc/openvpn/pw\n")


def grub_d(root: Path, cmds: Commands) -> None:
    """/etc/default/grub.d: *.cfg read in order, other names not."""
    put(root, "/etc/default/grub.d/10-xen.cfg", 'GRUB_CMDLINE_XEN="dom0_mem=2048M"\n')
    put(root, "/etc/default/grub.d/20-more.cfg", 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX quiet"\n')
    put(root, "/etc/default/grub.d/README", "not read\n")


def grub_d_broken(root: Path, cmds: Commands) -> None:
    """A binary .cfg: the later ones are not read."""
    put(root, "/etc/default/grub.d/10-bin.cfg", b"\x00\x01\x02\x03")
    put(root, "/etc/default/grub.d/20-more.cfg", "GRUB_TIMEOUT=5\n")


def modules_load_d(root: Path, cmds: Commands) -> None:
    """modules-load.d: a symlink to ../modules, a dangling one (absent: skipped), an odd name, a binary one (stops)."""
    link(root, "/etc/modules-load.d/a.conf", "../modules")
    link(root, "/etc/modules-load.d/b.conf", "nowhere.conf")
    put(root, "/etc/modules-load.d/c d é.conf", "loop\n")
    put(root, "/etc/modules-load.d/d.conf", b"\x00\x00")
    put(root, "/etc/modules-load.d/e.conf", "tun\n")
    put(root, "/etc/modules-load.d/x.txt", "ignored\n")


def pci_device(root: Path, index: int) -> Path:
    """The sysfs directory of the index-th PCI device of a fake machine."""
    bus = root / "sys/bus/pci/devices"
    return (bus / os.readlink(bus / sorted(p.name for p in bus.iterdir())[index])).resolve()


def pci_cut_short(root: Path, cmds: Commands) -> None:
    """A PCI attribute without its newline: the walk stops there, recorded as far as it went."""
    (pci_device(root, 2) / "class").write_text("0x020000")


def pci_missing_attrs(root: Path, cmds: Commands) -> None:
    """A device without numa_node and driver (absent, recorded as such), and a non-link entry (the walk stops)."""
    dev = pci_device(root, 1)
    for name in ("numa_node", "driver"):
        if (dev / name).exists() or (dev / name).is_symlink():
            (dev / name).unlink()
    (root / "sys/bus/pci/devices/0000:ff:00.0").mkdir()


def no_pci(root: Path, cmds: Commands) -> None:
    drop(root, "/sys/bus/pci")


def sysctl(root: Path, cmds: Commands) -> None:
    """rp_filter read interface by interface until one is not a number."""
    for name, value in (("all", "0\n"), ("default", "-1\n"), ("eth0", "x\n"), ("eth1", "1\n")):
        put(root, f"/proc/sys/net/ipv4/conf/{name}/rp_filter", value)
    put(root, "/proc/sys/net/ipv4/ip_forward", "1")
    put(root, "/etc/iproute2/rt_tables.d/hma.conf", "3 hma\n")
    put(root, "/etc/iproute2/rt_tables.d/other", "4 other\n")


def kernel_edges(root: Path, cmds: Commands) -> None:
    """An invalid release (no /lib/modules for the kernel), a config.gz instead of /boot, tmem parameters, a hostname."""
    put(root, "/proc/sys/kernel/osrelease", "3.13 with space\n")
    put(root, "/proc/config.gz", gzip.compress(b"CONFIG_XEN=y\n"))
    put(root, "/sys/module/tmem/parameters/cleancache", "Y\n")
    put(root, "/sys/module/tmem/parameters/frontswap", "N")
    put(root, "/sys/module/tmem/parameters/selfshrinking", "Y\n")
    put(root, "/proc/sys/kernel/hostname", "  gw-01 \n")


def boot_config_cut(root: Path, cmds: Commands) -> None:
    """/boot/config-R cut short: /proc/config.gz is read instead."""
    release = (root / "proc/sys/kernel/osrelease").read_text().strip()
    put(root, f"/boot/config-{release}", "CONFIG_XEN=y")
    put(root, "/proc/config.gz", gzip.compress(b"CONFIG_XEN=y\n"))


def odd_stderr(root: Path, cmds: Commands) -> None:
    """stderr that is not UTF-8, has control characters, and is longer than the 2000 characters kept."""
    err = "é\t\x01".encode() + b"\xff\xfe\xe2\x82 " + ("ünï" * 900).encode() + "😀".encode()
    cmds[("ip", "-j", "addr", "show")] = (b"[]\n", err, 0)
    cmds[("nft", "-j", "list", "ruleset")] = (b"", b"Error: Operation not permitted\n", 1)


#: fake machines: a bundled snapshot and the mutations that take the branches (combined where they do not meet)
VARIANTS: dict[str, tuple[str, list[Mutation]]] = {
    "gateway-old-tools": ("vpn-gateway", [old_iproute2, iptables_14, openvpn, sysctl, odd_stderr]),
    "gateway-iproute2-4.14": ("vpn-gateway", [iproute2_414, no_nat_table, openvpn_stops]),
    "gateway-no-iproute2": ("vpn-gateway", [ip_missing, no_ip_tables, openvpn_empty]),
    "gateway-broken-tables-names": ("vpn-gateway", [broken_tables_names]),
    "dom0-no-sysfs-version": ("x10sae-xen-dom0", [dom0_no_sysfs_version, grub_d, modules_load_d, pci_missing_attrs]),
    "dom0-xen-4.13": ("x10sae-xen-dom0", [dom0_xen_413, grub_d_broken, pci_cut_short]),
    "dom0-no-sysfs-version-4.13": ("x10sae-xen-dom0", [dom0_no_sysfs_version_413]),
    "dom0-xl-info-fails": ("x10sae-xen-dom0", [dom0_bad_xl_info]),
    "domU": ("x10sae-xen-dom0", [domu]),
    "kvm-no-pci": ("x10sae-xen-dom0", [hypervisor_kvm, no_pci]),
    "guest-kernel-edges": ("xen-guest-tmem", [kernel_edges]),
    "guest-boot-config-cut": ("xen-guest-tmem", [boot_config_cut]),
}


def _plain(facts: object) -> object:
    if dataclasses.is_dataclass(facts) and not isinstance(facts, type):
        return {k: v for k, v in dataclasses.asdict(facts).items() if "origin" not in k}
    return facts


def _facts(snapshot: Path) -> dict[str, object]:
    cache = FactCache(SnapshotSource(snapshot))
    out: dict[str, object] = {}
    for domain in DOMAINS:
        try:
            out[domain.name] = _plain(cache.get(domain))
        except CannotCheck as err:
            out[domain.name] = f"cannot check: {err.reason}"
    return {k: str(v).replace(str(snapshot), "SNAPSHOT") for k, v in out.items()}


def build(tmp_path: Path, base: str, mutations: list[Mutation], flavour: str) -> tuple[Path, str]:
    """A fake machine from a bundled snapshot with mutations applied; returns (root, PATH)."""
    snapshot = next(s for s in SNAPSHOTS if s.name == base)
    tools = tools_dir(tmp_path, "busybox" if flavour == "busybox" else "system")
    root, path = fake_machine(tmp_path / "machine", snapshot, tools)
    if mutations:
        manifest = json.loads((snapshot / "manifest.json").read_text())
        cmds: Commands = {tuple(c["argv"]): ((snapshot / c["stdout"]).read_bytes(), c.get("stderr", "").encode(), c["exit"])
                          for c in manifest["commands"] if c["stdout"] is not None}
        for mutate in mutations:
            mutate(root, cmds)
        shutil.rmtree(tmp_path / "machine" / "stubs")
        path = str(stub_commands(tmp_path / "machine" / "stubs", cmds)) + os.pathsep + str(tools)
    return root, path


def compare(tmp_path: Path, root: Path, path: str, shell_name: str) -> tuple[Path, Path]:
    """Record the fake machine both ways and assert they agree; returns (python snapshot, sh snapshot)."""
    with env_path(path):
        py = record_python(RootedLiveSource(root), tmp_path / "py")
    done = collect_sh(tmp_path / "sh.tar.gz", shell_name, path=path, root=root)
    assert done.returncode == 0, done.stderr
    sh = tmp_path / "sh.tar.gz"
    want, got = manifest_view(py), manifest_view(sh)
    for key in want:
        if isinstance(want[key], list):
            missing = sorted(set(want[key]) - set(got[key]))  # type: ignore[arg-type]
            extra = sorted(set(got[key]) - set(want[key]))  # type: ignore[arg-type]
            assert (missing, extra) == ([], []), f"{key}: the sh collector misses {missing} and adds {extra}"
        assert got[key] == want[key], key
    assert _facts(sh) == _facts(py)
    assert verdicts(sh) == verdicts(py)
    return py, sh


@pytest.mark.parametrize("snapshot", [s.name for s in SNAPSHOTS])
def test_bundled_machine_is_recorded_the_same_by_sh_and_python(tmp_path: Path, snapshot: str) -> None:
    """Under dash (each variant below runs under busybox too)."""
    root, path = build(tmp_path, snapshot, [], SHELLS[0])
    compare(tmp_path, root, path, SHELLS[0])


@pytest.mark.parametrize("shell_name", SHELLS)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_branch_is_recorded_the_same_by_sh_and_python(tmp_path: Path, variant: str, shell_name: str) -> None:
    base, mutations = VARIANTS[variant]
    root, path = build(tmp_path, base, mutations, shell_name)
    compare(tmp_path, root, path, shell_name)


def test_a_command_that_hangs_is_left_out_as_hwcompat_snapshot_leaves_it_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, path = build(tmp_path, "vpn-gateway", [], SHELLS[0])
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "nft").write_text("#!/bin/sh\nsleep 20\n")
    (slow / "nft").chmod(0o755)
    monkeypatch.setattr(live, "COMMAND_TIMEOUT_S", 1)
    monkeypatch.setenv("HWCOMPAT_COLLECT_TIMEOUT", "1")
    started = time.monotonic()
    _, sh = compare(tmp_path, root, f"{slow}{os.pathsep}{path}", SHELLS[0])
    assert time.monotonic() - started < 15
    commands = manifest_view(sh)["commands"]
    assert ("nft", "-j", "list", "ruleset") not in commands and ("iptables-nft-save", "-t", "nat") in commands  # type: ignore[operator]


def test_credential_files_are_stat_ed_never_read(tmp_path: Path) -> None:
    root, path = build(tmp_path, "vpn-gateway", [openvpn], SHELLS[0])
    _, sh = compare(tmp_path, root, path, SHELLS[0])
    manifest = SnapshotSource(sh).manifest
    assert set(manifest["stat"]) == {"/etc/openvpn/hma.pass", "/etc/openvpn/my creds.txt", "/etc/secret/pw", "/etc/openvpn/client"}
    assert manifest["stat"]["/etc/openvpn/my creds.txt"]["mode"] == "0600"
    assert manifest["stat"]["/etc/secret/pw"] == {"type": "file", "mode": "0640", "uid": os.getuid(), "gid": os.getgid(), "size": 10}
    assert manifest["stat"]["/etc/openvpn/client"]["type"] == "dir"
    assert {"/etc/openvpn/client/missing", "/etc/openvpn/client/my creds.txt"} <= set(manifest["recorded"])
    names = subprocess.run(["tar", "-tzf", str(sh)], capture_output=True, text=True, check=True).stdout
    assert "hma.pass" not in names and "creds" not in names and "notes.txt" not in names and "/pw" not in names
    assert b"SECRET" not in gzip.decompress(sh.read_bytes())


def test_directory_and_tarball_replay_the_same(tmp_path: Path) -> None:
    root, path = build(tmp_path, "x10sae-xen-dom0", [modules_load_d], SHELLS[0])
    assert collect_sh(tmp_path / "dir", path=path, root=root).returncode == 0
    assert collect_sh(tmp_path / "t.tgz", path=path, root=root).returncode == 0
    assert (tmp_path / "dir" / "fs" / "sys" / "bus" / "pci" / "devices" / "0000:00:19.0").is_symlink()
    assert manifest_view(tmp_path / "dir") == manifest_view(tmp_path / "t.tgz")
    assert _facts(tmp_path / "dir") == _facts(tmp_path / "t.tgz")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_redact_is_refused_and_points_to_hwcompat_redact(tmp_path: Path) -> None:
    for flag in ("--redact", "-r"):
        done = subprocess.run(["sh", str(COLLECTOR), flag, "--out", str(tmp_path / "x.tar.gz")], capture_output=True, text=True, check=False)
        assert done.returncode == 4
        assert "hwcompat redact" in done.stderr
    assert list(tmp_path.iterdir()) == []
    helptext = subprocess.run(["sh", str(COLLECTOR), "--help"], capture_output=True, text=True, check=True).stdout
    assert "hwcompat redact" in helptext and "--out" in helptext


@pytest.mark.parametrize(("args", "message"), [
    ([], "--out is required"),
    (["--out"], "--out needs a path"),
    (["--out", "/nonexistent-dir/x.tar.gz"], "does not exist (nothing was written)"),
    (["--bogus"], "unknown argument: --bogus"),
])
def test_usage_errors_exit_4(args: list[str], message: str) -> None:
    done = subprocess.run(["sh", str(COLLECTOR), *args], capture_output=True, text=True, check=False)
    assert done.returncode == 4 and message in done.stderr


def test_existing_output_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "s.tar.gz").write_text("mine")
    done = subprocess.run(["sh", str(COLLECTOR), "--out", str(tmp_path / "s.tar.gz")], capture_output=True, text=True, check=False)
    assert done.returncode == 4 and "already exists" in done.stderr
    assert (tmp_path / "s.tar.gz").read_text() == "mine"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_collector_killed_half_way_leaves_nothing_a_run_accepts(tmp_path: Path, sig: signal.Signals) -> None:
    root, path = build(tmp_path, "vpn-gateway", [], SHELLS[0])
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "nft").write_text("#!/bin/sh\nsleep 20\n")
    (slow / "nft").chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, PATH=f"{slow}{os.pathsep}{path}", HWCOMPAT_COLLECT_ROOT=str(root))
    proc = subprocess.Popen([*shell("dash"), str(COLLECTOR), "--out", str(out / "s.tar.gz")], env=env, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob(".s.tar.gz.partial-*/snap/s/cmd/iptables-nft-save*")):
            assert time.monotonic() < deadline and proc.poll() is None, "the collector never got to nft"
            time.sleep(0.05)
        time.sleep(0.3)
        (os.killpg if sig == signal.SIGKILL else os.kill)(proc.pid, sig)
        proc.wait(timeout=30)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # what the collector left running (the slow nft)
        except ProcessLookupError:
            pass
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    assert not (out / "s.tar.gz").exists()
    left = [p for p in out.rglob("*") if p.is_dir() or p.name.endswith((".tar.gz", ".tgz"))]
    if sig == signal.SIGTERM:
        assert left == []  # the trap removed its work directory
    assert left or sig == signal.SIGTERM
    for candidate in [out, *left]:
        with pytest.raises(SnapshotError):
            SnapshotSource(candidate)
    for candidate in [out, *[p for p in left if p.name == "s"]]:
        run = subprocess.run([sys.executable, "-m", "hwcompat.cli", "run", "--profile", "hosts/vpn-gateway", "--snapshot", str(candidate)],
                             capture_output=True, text=True, cwd=REPO, check=False)
        assert run.returncode == 4, run.stdout[-500:]


def test_hwcompat_collector_prints_the_shipped_script_and_the_playbook_path() -> None:
    done = subprocess.run([sys.executable, "-m", "hwcompat.cli", "collector"], capture_output=True, cwd=REPO, check=True)
    assert done.stdout == COLLECTOR.read_bytes()
    book = subprocess.run([sys.executable, "-m", "hwcompat.cli", "collector", "--playbook"], capture_output=True, text=True, cwd=REPO,
                          check=True).stdout.strip()
    assert Path(book).is_file() and Path(book).name == "collect.yml"


def test_collector_is_posix_sh_without_bashisms() -> None:
    """checkbashisms (Debian devscripts), where installed; dash -n always."""
    assert subprocess.run(["sh", "-n", str(COLLECTOR)], check=False).returncode == 0
    if shutil.which("checkbashisms"):
        done = subprocess.run(["checkbashisms", "--posix", str(COLLECTOR)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr


def test_the_xen_version_from_xl_info_decides_whether_tmem_list_is_asked(tmp_path: Path) -> None:
    """Without /sys/hypervisor/version both collectors read xl info: 4.13 has no tmem, so neither asks xl tmem-list."""
    root, path = build(tmp_path, "x10sae-xen-dom0", [dom0_no_sysfs_version_413], SHELLS[0])
    _, sh = compare(tmp_path, root, path, SHELLS[0])
    commands = manifest_view(sh)["commands"]
    assert any("xl info" in str(c) or "'xl', 'info'" in str(c) for c in commands), commands  # type: ignore[union-attr]
    assert not any("tmem-list" in str(c) for c in commands), commands  # type: ignore[union-attr]
