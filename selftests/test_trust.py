"""Trust: a snapshot cannot read the host, a report cannot run a script, a run asks only what exists,
destroyed evidence never passes, hostile input is refused within bounds.

Static hostile inputs live in selftests/data/hostile/ (see its README); the rest are built here,
each by a function named after the case.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from hwcompat.errors import ParseError, ProfileError, SnapshotError
from hwcompat.facts import nat
from hwcompat.facts.cache import FactCache
from hwcompat.parsers import ip_json, nft_json
from hwcompat.plan import evaluate
from hwcompat.profile import loader
from hwcompat.sources.base import CommandOutput
from hwcompat.sources.recording import RecordingSource, write_snapshot
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import REPO, SEED
from selftests.fakes import DictSource
from selftests.test_suite import hwcompat

HOSTILE = REPO / "selftests" / "data" / "hostile"
GUEST = REPO / "snapshots" / "xen-guest-tmem"
GATEWAY = REPO / "snapshots" / "vpn-gateway"
MANIFEST = {"format": "hwcompat-snapshot/1", "recorded": ["/proc"], "commands": [], "stat": {}}


def _snapshot(root: Path, manifest: dict | None = None, files: dict[str, bytes] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, data in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "manifest.json").write_text(json.dumps(manifest or MANIFEST))
    return root


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


def _results(profile: str, snapshot: Path) -> dict[str, tuple[str, str]]:
    return {item: (r.outcome, r.message) for item, r in evaluate(loader.load(profile), FactCache(SnapshotSource(snapshot)))}


# --- a snapshot cannot read the host ---------------------------------------------------------------

def test_a_manifest_naming_a_host_file_is_refused_and_nothing_of_it_is_shown(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("THE-HOST-SECRET-LINE\n")
    manifest = {**MANIFEST, "commands": [{"argv": ["xl", "info"], "stdout": "cmd/../../secret", "exit": 0, "stderr": ""}]}
    snap = _snapshot(tmp_path / "snap", manifest, {"cmd/xl_info": b"x\n"})
    proc = hwcompat("run", "--profile", "roles/xen-dom0", "--snapshot", str(snap), "--json", str(tmp_path / "r.json"))
    assert proc.returncode == 4
    assert "no file directly under cmd/" in proc.stderr + proc.stdout
    assert "THE-HOST-SECRET-LINE" not in proc.stdout + proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_fs_that_is_a_link_to_the_host_root_is_refused(tmp_path: Path) -> None:
    snap = _snapshot(tmp_path / "snap")
    os.symlink("/", snap / "fs")
    with pytest.raises(SnapshotError, match="fs is a link, not a directory; refused"):
        SnapshotSource(snap)


def test_a_snapshot_changed_during_a_run_cannot_mix_two_machines(tmp_path: Path) -> None:
    snap = _copy(SEED, tmp_path / "snap")
    source = SnapshotSource(snap)
    shutil.rmtree(snap / "fs")
    (snap / "fs").mkdir()
    (snap / "fs/proc").mkdir()
    (snap / "fs/proc/cpuinfo").write_text("processor\t: 0\nmodel name\t: some other machine\n")
    assert "E3-1265L" in str(FactCache(source).cpu.model_name)


# --- a report cannot run a script ---------------------------------------------------------------

HOSTILE_NAME = '<img src=x onerror="document.body.setAttribute(\'data-pwned\', \'hostname\')">'
HOSTILE_BOARD = "<script>document.body.setAttribute('data-pwned', 'board')</script>X10SAE"


def _chromium() -> str:
    return shutil.which("chromium") or shutil.which("chromium-browser") or ""


@pytest.mark.skipif(not _chromium(), reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it as root)")
def test_a_hostile_snapshot_report_runs_no_script_in_a_real_browser(tmp_path: Path) -> None:
    snap = _copy(SEED, tmp_path / "snap")
    (snap / "fs/proc/sys/kernel/hostname").write_text(HOSTILE_NAME + "\n")
    (snap / "fs/sys/class/dmi/id/board_name").write_text(HOSTILE_BOARD + "\n")
    html = tmp_path / "report.html"
    proc = hwcompat("run", "--profile", "boards/supermicro-x10sae", "--snapshot", str(snap), "--html", str(html))
    assert proc.returncode == 1  # the board name is wrong, on purpose
    dom = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=3000", "--dump-dom", html.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False).stdout
    assert "Supermicro" in dom  # the page rendered, environment table included
    assert re.search(r"<body[^>]*data-pwned", dom) is None  # no script set it
    assert "&lt;img src=x onerror=" in dom and "&lt;script&gt;document.body" in dom  # shown as text


# --- extends opens profile files only ----------------------------------------------------------

@pytest.mark.parametrize("name", ["extends-passwd.yaml", "extends-dotdot.yaml"])
def test_extends_never_opens_what_is_not_a_profile(name: str) -> None:
    proc = hwcompat("profiles", "lint", str(HOSTILE / "profiles" / name))
    assert proc.returncode == 4
    assert f"{name}:2: extends[0]: profile" in proc.stdout
    assert "root:" not in proc.stdout + proc.stderr


# --- a run asks only what exists -----------------------------------------------------------------

class _Commands(DictSource):
    """A machine that answers every command with nothing and remembers what was asked."""

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.asked: list[tuple[str, ...]] = []

    def run(self, argv):  # type: ignore[no-untyped-def]
        self.asked.append(tuple(argv))
        return CommandOutput(tuple(argv), "", 0, "")


NF_TABLES_ON_DISK = {"/proc/sys/kernel/osrelease": "6.1.0\n", "/lib/modules/6.1.0/modules.dep": "kernel/net/netfilter/nf_tables.ko:\n"}


@pytest.mark.parametrize(("files", "dirs", "may_run"), [
    # no ip_tables module, nf_tables a module on disk that is not loaded: asking would load them and create tables
    (NF_TABLES_ON_DISK, set(), set()),
    ({**NF_TABLES_ON_DISK, "/proc/net/ip_tables_names": "filter\n"}, set(), set()),  # legacy filter only: asking for nat creates it
    ({**NF_TABLES_ON_DISK, "/proc/net/ip_tables_names": "filter\nnat\n"}, set(), {"iptables-legacy-save"}),
    (NF_TABLES_ON_DISK, {"/sys/module/nf_tables"}, {"iptables-nft-save", "nft"}),  # loaded
    ({"/proc/sys/kernel/osrelease": "6.1.0\n", "/lib/modules/6.1.0/modules.dep": "kernel/fs/ext4/ext4.ko:\n"}, set(),
     {"iptables-nft-save", "nft"}),  # built in (not a module): nothing to load
])
def test_nat_tools_run_only_where_their_tables_can_exist(files: dict[str, str], dirs: set[str], may_run: set[str]) -> None:
    source = _Commands(files={**files, "/sys/module/e1000e/x": ""}, dirs={"/sys/module", *dirs})
    for d in dirs:
        source.files[f"{d}/initstate"] = "live\n"
    nat.collect(source)
    assert {argv[0] for argv in source.asked} == may_run


# --- destroyed evidence never passes -----------------------------------------------------------

def test_an_emptied_proc_modules_does_not_make_loaded_modules_built_in(tmp_path: Path) -> None:
    snap = _copy(GUEST, tmp_path / "guest")
    (snap / "fs/proc/modules").write_text("")
    res = _results("hosts/xen-guest-tmem", snap)
    assert res["test_tmem_module[tmem]"][0] == "failed"


def test_an_emptied_proc_modules_with_sys_module_listed_is_cannot_check() -> None:
    source = DictSource(files={"/proc/modules": "", "/sys/module/tmem/parameters/frontswap": "Y\n", "/proc/sys/kernel/osrelease": "3.13\n"},
                        dirs={"/sys/module"})
    facts = FactCache(source)
    profile = loader.load_text("name: x\nkernel:\n  modules: {tmem: loaded}\n")
    [(_, result)] = evaluate(profile, facts)
    assert result.outcome == "failed" and "/proc/modules lists no module, yet /sys/module shows tmem" in result.message


@pytest.mark.parametrize(("change", "item", "words"), [
    (lambda g: (g / "cmd/ip_-j_rule_show").write_text("[]\n"), "test_network_no_leak[vlan-internet]", "rule listing looks broken"),
    (lambda g: (g / "cmd/ip_-j_route_show_table_all").write_text("[]\n"), "test_network_no_leak[vlan-internet]", "route listing looks broken"),
    (lambda g: (g / "fs/etc/openvpn/hma.conf").write_text(""), "test_network_openvpn[tunnel:route_metric]", "holds no directive at all"),
    (lambda g: (g / "fs/etc/openvpn/hma.conf").write_bytes(bytes(range(256)) * 4), "test_network_openvpn[tunnel:route_metric]",
     "binary data where text is expected"),
])
def test_destroyed_network_evidence_is_cannot_check(tmp_path: Path, change, item: str, words: str) -> None:
    snap = _copy(GATEWAY, tmp_path / "gw")
    change(snap)
    outcome, message = _results("hosts/vpn-gateway", snap)[item]
    assert outcome == "failed" and message.startswith("cannot check") and words in message


def test_an_empty_kernel_config_does_not_pass_an_option_that_must_be_unset(tmp_path: Path) -> None:
    snap = _copy(GUEST, tmp_path / "guest")
    (snap / "fs/boot/config-3.13.10-tmem").write_text("")
    outcome, message = _results("hosts/xen-guest-tmem", snap)["test_tmem_config[CONFIG_ZSWAP]"]
    assert outcome == "failed" and "sets no CONFIG_ option at all" in message


def test_no_pci_evidence_at_all_is_cannot_check_for_unlisted_devices(tmp_path: Path) -> None:
    snap = _copy(SEED, tmp_path / "snap")
    shutil.rmtree(snap / "fs/sys/bus/pci")
    res = _results("boards/supermicro-x10sae", snap)
    assert res["test_pci_unlisted_devices[unlisted_devices]"][0] == "failed"
    assert "/sys/bus/pci/devices does not exist" in res["test_pci_unlisted_devices[unlisted_devices]"][1]


@pytest.mark.parametrize("release", ["3.13\x00-amd64", "x" * 300, "../../etc"])
def test_an_impossible_kernel_release_is_cannot_check_and_the_rest_is_judged(tmp_path: Path, release: str) -> None:
    snap = _copy(GUEST, tmp_path / "guest")
    (snap / "fs/proc/sys/kernel/osrelease").write_text(release + "\n")
    res = _results("hosts/xen-guest-tmem", snap)
    assert res["test_kernel_release[release]"][0] == "failed" and "osrelease looks broken" in res["test_kernel_release[release]"][1]
    assert res["test_xen_property[role]"][0] == "passed"


@pytest.mark.parametrize(("entry", "why"), [('"prefixlen":-24', "-24"), ('"local":"999.168.6.1"', "999.168.6.1")])
def test_impossible_addresses_are_cannot_check_naming_the_command_and_exit_3(tmp_path: Path, entry: str, why: str) -> None:
    snap = _copy(GATEWAY, tmp_path / "gw")
    addrs = snap / "cmd/ip_-j_addr_show"
    text = addrs.read_text()
    text = text.replace('"prefixlen":24', '"prefixlen":-24', 1) if "prefixlen" in entry else text.replace('"local":"192.168.6.1"', entry, 1)
    addrs.write_text(text)
    out = tmp_path / "r.json"
    proc = hwcompat("run", "--profile", "hosts/vpn-gateway", "--snapshot", str(snap), "--json", str(out))
    assert proc.returncode == 3 and "Traceback" not in proc.stdout + proc.stderr
    items = {i["test"].split("::")[1]: i for i in json.loads(out.read_text())["items"]}
    message = items["test_network_interface[vlan]"]["results"][0]["message"]
    assert message.startswith("cannot check: ip -j addr show line 1:") and why in message
    assert items["test_network_rule[201]"]["outcome"] == "passed"


def test_an_nft_base_chain_without_a_priority_is_refused() -> None:
    """Where a chain runs at its hook depends on its priority; nft always prints it, so a listing without one is broken."""
    text = '{"nftables":[{"table":{"family":"ip","name":"nat"}},{"chain":{"family":"ip","table":"nat","name":"post","type":"nat","hook":"postrouting"}}]}'
    with pytest.raises(ParseError, match="without a numeric prio"):
        nft_json.parse(text)


def test_a_number_too_long_for_python_is_refused_by_every_json_reader() -> None:

    huge = "1" * 5000
    for parse, text in ((ip_json.parse_addrs, f'[{{"ifindex":{huge}}}]'), (ip_json.parse_routes, f'[{{"dst":"10.0.0.0/8","metric":{huge}}}]'),
                        (nft_json.parse, f'{{"nftables":[{{"metainfo":{{"version":{huge}}}}}]}}')):
        with pytest.raises(ParseError, match="not JSON Python can read"):
            parse(text)


@pytest.mark.parametrize(("listing", "command", "item"), [
    ("cmd/ip_-j_route_show_table_all", "ip -j route show table all", "test_network_path[vlan-to-internet]"),
    ("cmd/ip_-j_addr_show", "ip -j addr show", "test_network_interface[vlan]"),
    ("cmd/nft_-j_list_ruleset", "nft -j list ruleset", "test_network_nat[tunnel]"),
])
def test_json_nested_beyond_any_tool_output_is_cannot_check_not_a_traceback(tmp_path: Path, listing: str, command: str, item: str) -> None:
    snap = _copy(GATEWAY, tmp_path / "gw")
    (snap / listing).write_text("[" * 200_000 + "\n")
    out = tmp_path / "r.json"
    proc = hwcompat("run", "--profile", "hosts/vpn-gateway", "--snapshot", str(snap), "--json", str(out))
    assert proc.returncode == 3 and "Traceback" not in proc.stdout + proc.stderr and "RecursionError" not in proc.stdout
    items = {i["test"].split("::")[1]: i for i in json.loads(out.read_text())["items"]}
    message = items[item]["results"][0]["message"]
    assert message.startswith(f"cannot check: {command} line 1:") and "nested deeper" in message, message


# --- hostile snapshots are refused within bounds ------------------------------------------------

def _targz(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            if data is None:
                buf.write(info.tobuf(tarfile.GNU_FORMAT))  # a header alone: its size claims content that never comes
            else:
                tar.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buf.getvalue()))
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def gzip_bomb_member(tmp_path: Path) -> Path:
    info = tarfile.TarInfo("manifest.json")
    info.size = 10 << 30
    return _targz(tmp_path / "bomb.tar.gz", [(info, None)])


def corrupted_crc(tmp_path: Path) -> Path:
    good = _targz(tmp_path / "good.tar.gz", [_file("manifest.json", json.dumps(MANIFEST).encode())])
    data = bytearray(good.read_bytes())
    data[-8] ^= 0xFF  # the CRC32 of the trailer
    bad = tmp_path / "crc.tar.gz"
    bad.write_bytes(bytes(data))
    return bad


def missing_trailer(tmp_path: Path) -> Path:
    good = _targz(tmp_path / "good.tar.gz", [_file("manifest.json", json.dumps(MANIFEST).encode())])
    bad = tmp_path / "cut.tar.gz"
    bad.write_bytes(good.read_bytes()[:-8])
    return bad


def sparse_file(tmp_path: Path) -> Path:
    snap = _snapshot(tmp_path / "snap")
    (snap / "fs/proc").mkdir(parents=True)
    with open(snap / "fs/proc/cpuinfo", "wb") as fh:
        fh.truncate(20 << 30)
    return snap


def fifo(tmp_path: Path) -> Path:
    snap = _snapshot(tmp_path / "snap")
    (snap / "fs/proc").mkdir(parents=True)
    os.mkfifo(snap / "fs/proc/cpuinfo")
    return snap


def device_node(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    snap = _snapshot(tmp_path / "snap")
    (snap / "fs/dev").mkdir(parents=True)
    os.mknod(snap / "fs/dev/null", 0o600 | 0o020000, os.makedev(1, 3))
    return snap


def duplicate_command(tmp_path: Path) -> Path:
    cmd = {"argv": ["xl", "info"], "stdout": None, "exit": 1, "stderr": "no"}
    return _snapshot(tmp_path / "snap", {**MANIFEST, "commands": [cmd, {**cmd, "exit": 0}]})


def bracket_bomb(tmp_path: Path) -> Path:
    snap = _snapshot(tmp_path / "snap")
    (snap / "manifest.json").write_text("[" * 200_000)
    return snap


def no_manifest_yet(tmp_path: Path) -> Path:
    snap = _snapshot(tmp_path / "snap", files={"fs/proc/cpuinfo": b"processor : 0\n"})
    (snap / "manifest.json").unlink()  # what a snapshot cut short before its manifest looks like
    return snap


@pytest.mark.parametrize(("build", "words"), [
    (gzip_bomb_member, "has 10737418240 bytes, more than the 256 MiB"),
    (corrupted_crc, "not a readable .tar.gz"),
    (missing_trailer, "not a readable .tar.gz"),
    (sparse_file, "has 21474836480 bytes, more than the 256 MiB"),
    (fifo, "'fs/proc/cpuinfo' is a FIFO"),
    (device_node, "'fs/dev/null' is a device node"),
    (duplicate_command, "records `xl info` a second time"),
    (bracket_bomb, "nested too deeply"),
    (no_manifest_yet, "manifest.json is missing"),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_hostile_snapshot_is_refused_within_bounds(tmp_path: Path, build, words: str) -> None:
    snap = build(tmp_path)
    start = time.perf_counter()
    proc = hwcompat("run", "--profile", "roles/xen-dom0", "--snapshot", str(snap))
    assert time.perf_counter() - start < 20
    assert proc.returncode == 4, proc.stdout[-2000:] + proc.stderr
    assert words in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_snapshot_cut_short_leaves_nothing_that_looks_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = RecordingSource(SnapshotSource(SEED))
    FactCache(rec).cpu  # noqa: B018 - record something
    from hwcompat.sources import recording

    def killed(*args: object) -> None:
        raise KeyboardInterrupt

    for form in ("out", "out.tar.gz"):
        monkeypatch.setattr(recording, "_write_dir" if form == "out" else "_write_tar", killed)
        with pytest.raises(KeyboardInterrupt):
            write_snapshot(rec, tmp_path / form, "x")
        assert sorted(p.name for p in tmp_path.iterdir()) == []


# --- hostile profiles are refused within bounds --------------------------------------------------

@pytest.mark.parametrize(("name", "line", "words"), [
    ("alias-bomb.yaml", 4, "YAML aliases (*name) are not allowed"),
    ("recursive-alias.yaml", 3, "YAML aliases (*name) are not allowed"),
    ("list-key.yaml", 3, "key 'a sequence' must be a string"),
    ("date-key.yaml", 3, "key '2014-09-02' must be a string"),
    ("nul-byte.yaml", 2, "not valid YAML"),
    ("deep-nesting.yaml", 43, "nested more than 40 levels deep"),
    ("not-utf8.yaml", 4, "not UTF-8 text (byte 0xe9)"),
])
def test_hostile_profile_is_refused_naming_file_and_line(name: str, line: int, words: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ProfileError) as info:
        loader.load(HOSTILE / "profiles" / name)
    assert time.perf_counter() - start < 2
    assert str(info.value).startswith(f"{info.value.file}:{line}:") and words in str(info.value), str(info.value)


def test_extends_reaching_one_file_many_ways_is_read_once(tmp_path: Path) -> None:
    for i in range(16):
        parent = f"extends: [d{i + 1}.yaml, d{i + 1}.yaml]\n" if i < 15 else "cpu: {family: 6}\n"
        (tmp_path / f"d{i}.yaml").write_text(f"name: d{i}\n{parent}")
    start = time.perf_counter()
    profile = loader.load(tmp_path / "d0.yaml")
    assert time.perf_counter() - start < 2
    assert len(profile.chain) == 16 and profile.cpu[0].matcher.matches(6)


# --- report paths ----------------------------------------------------------------------------------

@pytest.mark.parametrize("option", ["--html", "--junitxml", "--json"])
def test_every_report_option_treats_a_missing_folder_the_same(tmp_path: Path, option: str) -> None:
    out = tmp_path / "no" / "such" / "r.out"
    proc = hwcompat("run", "--profile", "roles/xen-dom0", "--snapshot", str(SEED), option, str(out))
    assert proc.returncode == 4
    assert f"directory {out.parent} does not exist (nothing was written)" in proc.stdout + proc.stderr
    assert not (tmp_path / "no").exists()
