"""Snapshots: directory and tarball forms, hostile and truncated input, record -> replay."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwcompat.errors import CannotCheck, SnapshotError
from hwcompat.facts.cache import DOMAINS, FactCache
from hwcompat.sources import snapshot
from hwcompat.sources.recording import RecordingSource, write_snapshot
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import SEED


def _tar(path: Path, members: list[tuple[str, bytes | None, str]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if link:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            else:
                info.size = len(data or b"")
                tar.addfile(info, io.BytesIO(data or b""))
    return path


MANIFEST = json.dumps({"format": "hwcompat-snapshot/1", "recorded": ["/proc/cpuinfo", "/etc"], "commands": [], "stat": {}}).encode()


def test_seed_snapshot_opens_and_resolves_bus_links() -> None:
    snap = SnapshotSource(SEED)
    assert snap.read_text("/sys/bus/pci/devices/0000:00:19.0/vendor") == "0x8086\n"
    assert len(snap.pci_devices()) == 26


def test_tarball_with_top_dir_and_flat(tmp_path: Path) -> None:
    for name, prefix in (("top.tar.gz", "x10sae/"), ("flat.tar.gz", "")):
        tar = _tar(tmp_path / name, [(f"{prefix}manifest.json", MANIFEST, ""), (f"{prefix}fs/proc/cpuinfo", b"processor : 0\n", "")])
        assert SnapshotSource(tar).read_text("/proc/cpuinfo") == "processor : 0\n"


@pytest.mark.parametrize("member", ["../evil", "/etc/evil", "fs/../../evil"])
def test_tarball_member_outside_is_refused(tmp_path: Path, member: str) -> None:
    tar = _tar(tmp_path / "evil.tar.gz", [("manifest.json", MANIFEST, ""), (member, b"x", "")])
    with pytest.raises(SnapshotError, match="outside the snapshot"):
        SnapshotSource(tar)


def test_symlinks_cannot_leave_the_snapshot(tmp_path: Path) -> None:
    (tmp_path / "fs/proc").mkdir(parents=True)
    (tmp_path / "manifest.json").write_bytes(MANIFEST)
    os.symlink("/etc/hostname", tmp_path / "fs/proc/cpuinfo")
    os.symlink("../../../../../../etc/shadow", tmp_path / "fs/proc/version")
    os.symlink("loop", tmp_path / "fs/proc/loop")
    snap = SnapshotSource(tmp_path)
    # resolved inside the snapshot, where /etc is recorded and empty: absent, never the host's file
    assert snap.read_text("/proc/cpuinfo") is None
    with pytest.raises(CannotCheck, match="/proc/version is not recorded"):
        snap.read_text("/proc/version")  # points at /etc/shadow *of the snapshot*, which is not recorded
    with pytest.raises(SnapshotError, match="symlink loop"):
        snap.read_text("/proc/loop")


def test_truncated_tarball_is_refused(tmp_path: Path) -> None:
    good = _tar(tmp_path / "good.tar.gz", [("manifest.json", MANIFEST, ""), ("fs/proc/cpuinfo", b"processor : 0\n" * 2000, "")])
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(SnapshotError, match="truncated"):
        SnapshotSource(cut)


def test_missing_manifest_and_bad_format(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="manifest.json is missing"):
        SnapshotSource(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "other/9", "recorded": []}')
    with pytest.raises(SnapshotError, match="format must be"):
        SnapshotSource(tmp_path)


def test_manifest_naming_a_missing_command_output(tmp_path: Path) -> None:
    manifest = {"format": "hwcompat-snapshot/1", "recorded": [], "commands": [{"argv": ["xl", "info"], "stdout": "cmd/xl_info", "exit": 0}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match="cmd/xl_info"):
        SnapshotSource(tmp_path)


def test_recorded_absent_versus_not_recorded() -> None:
    snap = SnapshotSource(SEED)
    assert snap.read_text("/proc/sys/kernel/nonexistent") is None  # under a recorded root: absent
    with pytest.raises(CannotCheck, match="not recorded"):
        snap.read_text("/etc/fstab")


@pytest.mark.parametrize("form", ["dir", "snap.tar.gz"])
def test_record_then_replay_gives_the_same_facts(tmp_path: Path, form: str) -> None:
    original = FactCache(SnapshotSource(SEED))
    rec = RecordingSource(SnapshotSource(SEED))
    recorded = FactCache(rec)
    for domain in DOMAINS:
        _get(recorded, domain)
    out = write_snapshot(rec, tmp_path / form, "x10sae")
    replay = FactCache(SnapshotSource(out))
    for domain in DOMAINS:
        a, b = _get(original, domain), _get(replay, domain)
        assert _same_text(_strip_origin(a), str(SEED)) == _same_text(_strip_origin(b), str(out)), domain.name


def test_write_snapshot_refuses_to_overwrite(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="already exists"):
        write_snapshot(RecordingSource(SnapshotSource(SEED)), tmp_path, "x")


def _same_text(facts: object, location: str) -> str:
    """Facts as text with the snapshot's own location taken out (it appears in "not recorded" reasons)."""
    return repr(facts).replace(location, "<snapshot>")


def _strip_origin(facts: object) -> object:
    import dataclasses

    if dataclasses.is_dataclass(facts) and not isinstance(facts, type):
        return {k: v for k, v in dataclasses.asdict(facts).items() if "origin" not in k}
    return facts


def test_seed_snapshot_matches_its_generator() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(SEED.parent.parent / "tools" / "make_seed_snapshots.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_corpus_snapshots_match_their_builders() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(SEED.parent.parent / "tools" / "make_corpus_snapshots.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_manifest_stat_values_are_checked(tmp_path: Path) -> None:
    manifest = {"format": "hwcompat-snapshot/1", "recorded": [], "commands": [],
                "stat": {"/etc/openvpn/hma.pass": {"type": "file", "mode": "rw-------", "uid": 0, "gid": 0, "size": 24}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match=r"stat\['/etc/openvpn/hma.pass'\] must have .*mode \(octal string"):
        SnapshotSource(tmp_path)


def _get(facts: FactCache, domain):
    """A domain's facts, or the reason it could not be collected (so record and replay compare either way)."""
    from hwcompat.errors import CannotCheck

    try:
        return facts.get(domain)
    except CannotCheck as err:
        return f"cannot check: {err.reason}"


def test_a_file_read_through_an_absolute_link_replays_from_a_directory_and_a_tarball(tmp_path: Path) -> None:
    # /etc/modules-load.d/x.conf -> /srv/conf/x.conf: the directory form once lost the content (the link pointed
    # outside the snapshot while it was written), so `tun` looked unlisted for boot
    from hwcompat.sources.base import FileStat
    from hwcompat.sources.recording import RecordingSource, write_snapshot
    from selftests.fakes import DictSource

    class Linked(DictSource):
        def read_text(self, path: str) -> str | None:
            for link, target in self.links.items():
                if path.startswith(link + "/") or path == link:
                    path = target + path[len(link):]
            return self.files.get(path)

        def stat(self, path: str) -> FileStat | None:
            return FileStat("link", "0777", 0, 0, 0) if path in self.links else None

    inner = Linked(files={"/srv/conf/x.conf": "tun\n"}, links={"/etc/modules-load.d/x.conf": "/srv/conf/x.conf"})
    for out in (tmp_path / "dir", tmp_path / "snap.tar.gz"):
        rec = RecordingSource(inner)
        assert rec.list_dir("/etc/modules-load.d") == ["x.conf"]
        assert rec.read_text("/etc/modules-load.d/x.conf") == "tun\n"
        write_snapshot(rec, out, "h")
        replay = SnapshotSource(out)
        assert replay.read_text("/etc/modules-load.d/x.conf") == "tun\n", out.name
        assert replay.read_link("/etc/modules-load.d/x.conf") == "/srv/conf/x.conf"


def _reference_add(nodes: dict, kids: dict, rel: str, node: object) -> None:
    """How _Tree.add registered an entry before it stopped at the first known ancestor: every ancestor, every time."""
    parts = rel.split("/")
    for i in range(1, len(parts)):
        nodes.setdefault("/".join(parts[:i]), snapshot._Node("dir"))
        kids.setdefault("/".join(parts[:i - 1]), set()).add(parts[i - 1])
    kids.setdefault("/".join(parts[:-1]), set()).add(parts[-1])
    nodes[rel] = node


@given(st.lists(st.tuples(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4).map("/".join),
                          st.sampled_from(["file", "dir", "link"])), max_size=12))
def test_the_tree_registers_every_ancestor_as_adding_each_one_did(entries: list[tuple[str, str]]) -> None:
    tree = snapshot._Tree("s")
    nodes: dict = {"": snapshot._Node("dir")}
    kids: dict = {}
    for rel, kind in entries:
        node = snapshot._Node(kind, "x" if kind == "link" else "")
        tree.add(rel, node, b"1" if kind == "file" else b"")
        _reference_add(nodes, kids, rel, node)
    assert (tree.nodes, tree.kids) == (nodes, kids)
