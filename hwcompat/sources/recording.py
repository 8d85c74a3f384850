"""RecordingSource: passes every question to another FactSource and keeps the answers.

The answers can be written out as a snapshot (format v1) that replays to the same facts.

Only what the collectors asked for is recorded. Paths that were asked for and did not exist go
into ``recorded`` too, so the snapshot says "absent" for them instead of "unknown"; directories
that were listed go into ``listed`` with their entry names. File *contents* are only ever what
``read_text`` returned; ``stat`` records metadata alone, which is how credential files are kept
out of snapshots. A snapshot is written under a temporary name, manifest last, and renamed into
place: a run that was cut short leaves no directory or tarball that looks complete.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import shutil
import tarfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from hwcompat import __version__
from hwcompat.errors import CannotCheck, SnapshotError
from hwcompat.sources.base import CommandOutput, FactSource, FileStat, UdevDevice, walk_pci_sysfs
from hwcompat.sources.snapshot import FORMAT, command_slug


class RecordingSource:
    """Wraps a source and records what it answered."""

    def __init__(self, inner: FactSource) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.location = inner.location
        self.files: dict[str, str | bytes] = {}
        self.links: dict[str, str] = {}
        self.dirs: dict[str, list[str]] = {}
        self.subdirs: set[str] = set()
        self.absent: set[str] = set()
        self.commands: dict[tuple[str, ...], CommandOutput] = {}
        self.stats: dict[str, FileStat] = {}
        self.calls: dict[str, list[str]] = {}

    def where(self, path: str) -> str:
        return self.inner.where(path)

    def read_text(self, path: str) -> str | None:
        text = self.inner.read_text(path)
        if text is None:
            self.absent.add(path)
        else:
            self.files[path] = text
        return text

    def read_bytes(self, path: str) -> bytes | None:
        data = self.inner.read_bytes(path)
        if data is None:
            self.absent.add(path)
        else:
            self.files[path] = data
        return data

    def read_link(self, path: str) -> str | None:
        target = self.inner.read_link(path)
        if target is None:
            self.absent.add(path)
        else:
            self.links[path] = target
        return target

    def list_dir(self, path: str) -> list[str] | None:
        """List and record a directory; its symlinks are kept as links, its subdirectories as (empty) directories."""
        names = self.inner.list_dir(path)
        if names is None:
            self.absent.add(path)
            return None
        self.dirs[path] = names
        for name in names:
            child = posixpath.join(path, name)
            try:
                st = self.inner.stat(child)
            except CannotCheck:
                continue
            if st is not None and st.type == "link":
                target = self.inner.read_link(child)
                if target is not None:
                    self.links[child] = target
            elif st is not None and st.type == "dir":
                self.subdirs.add(child)
        return names

    def stat(self, path: str) -> FileStat | None:
        st = self.inner.stat(path)
        if st is None:
            self.absent.add(path)
        else:
            self.stats[path] = st
        return st

    def run(self, argv: Sequence[str]) -> CommandOutput:
        out = self.inner.run(argv)
        self.commands[tuple(argv)] = out
        return out

    def pci_devices(self) -> list[UdevDevice]:
        """Walk the sysfs files (recording each) rather than asking pyudev, which reads unseen."""
        return walk_pci_sysfs(self)

    def cpuid_flags(self) -> list[str]:
        """Ask the inner source, and keep the answer for the manifest's ``calls``."""
        flags = self.inner.cpuid_flags()
        self.calls["cpuid_flags"] = flags
        return flags

    def through_links(self, path: str) -> str:
        """Where a path read through recorded symlinks lands inside the snapshot (an absolute target stays inside it).

        A file read as /etc/modules-load.d/x.conf, a link to /srv/conf/x.conf, is written at
        fs/srv/conf/x.conf beside the link, so a directory and a tarball replay it the same way.
        """
        parts = [p for p in path.split("/") if p]
        done = "/"
        hops = 0
        while parts:
            step = posixpath.join(done, parts.pop(0))
            target = self.links.get(step)
            if target is not None and hops < 40:
                hops += 1
                base = target if target.startswith("/") else posixpath.join(posixpath.dirname(step), target)
                parts = [p for p in posixpath.normpath(base).split("/") if p] + parts
                done = "/"
                continue
            done = step
        return done

    def manifest(self, hostname: str) -> dict[str, object]:
        """The manifest.json content for what was recorded so far."""
        commands = [
            {
                "argv": list(argv),
                "stdout": None if out.stdout is None else f"cmd/{command_slug(argv)}",
                "exit": out.exit,
                "stderr": out.stderr[:2000],
            }
            for argv, out in sorted(self.commands.items())
        ]
        return {
            "format": FORMAT,
            "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "captured_by": f"hwcompat {__version__}",
            "hostname": hostname,
            "recorded": sorted(set(self.files) | {self.through_links(p) for p in self.files} | set(self.links) | self.absent),
            "listed": {path: names for path, names in sorted(self.dirs.items())},
            "commands": commands,
            "calls": dict(sorted(self.calls.items())),
            "stat": {p: asdict(s) for p, s in sorted(self.stats.items())},
        }

    def entries(self, hostname: str) -> list[tuple[str, str, str | bytes]]:
        """Everything to write, as (relative path, kind, payload) with kind file|link|dir; the manifest comes last."""
        out: list[tuple[str, str, str | bytes]] = []
        seen = set()
        for path, target in sorted(self.links.items()):
            out.append(("fs" + path, "link", target))
            seen.add(path)
        for path, text in sorted(self.files.items()):
            out.append(("fs" + self.through_links(path), "file", text))
            seen.add(path)
        for path in sorted(set(self.dirs) | self.subdirs):
            if path not in seen:
                out.append(("fs" + path, "dir", ""))
        for argv, cmd in sorted(self.commands.items()):
            if cmd.stdout is not None:
                out.append((f"cmd/{command_slug(argv)}", "file", cmd.stdout))
        out.append(("manifest.json", "file", json.dumps(self.manifest(hostname), indent=2) + "\n"))
        return out


def write_snapshot(recording: RecordingSource, out: str | Path, hostname: str) -> Path:
    """Write a recording as a snapshot directory, or a ``.tar.gz`` when ``out`` ends so.

    Written under a temporary name beside ``out``, manifest last, then renamed to ``out``.

    :raises SnapshotError: when ``out`` already exists (nothing is overwritten)
    """
    return write_entries(recording.entries(hostname), out)


def write_entries(entries: list[tuple[str, str, str | bytes]], out: str | Path) -> Path:
    """Write snapshot entries (relative path, file|link|dir, payload; manifest.json last) as a directory or ``.tar.gz``.

    :raises SnapshotError: when ``out`` already exists (nothing is overwritten)
    """
    target = Path(out)
    if target.exists() or target.is_symlink():
        raise SnapshotError(str(target), "already exists; choose a new path (nothing was written)")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        if target.name.endswith((".tar.gz", ".tgz")):
            _write_tar(partial, target.name.removesuffix(".tar.gz").removesuffix(".tgz"), entries)
        else:
            _write_dir(partial, entries)
        os.rename(partial, target)
    except BaseException:
        if partial.is_dir() and not partial.is_symlink():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        raise
    return target


def _write_tar(path: Path, top: str, entries: list[tuple[str, str, str | bytes]]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for rel, kind, payload in entries:
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.mtime = int(time.time())
            if kind == "file":
                data = payload.encode("utf-8") if isinstance(payload, str) else payload
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
            elif kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = str(payload)
                tar.addfile(info)
            else:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)


def _write_dir(path: Path, entries: list[tuple[str, str, str | bytes]]) -> None:
    path.mkdir()
    root = path.resolve()
    for rel, kind, payload in entries:
        dest = root / rel
        if not dest.parent.resolve().is_relative_to(root):
            continue  # a recorded link on the way points elsewhere; the link itself is recorded
        dest.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file" and not dest.exists():
            dest.write_bytes(payload.encode("utf-8") if isinstance(payload, str) else payload)
        elif kind == "link" and not dest.is_symlink():
            os.symlink(str(payload), dest)
        elif kind == "dir" and not (dest.exists() or dest.is_symlink()):
            dest.mkdir()
