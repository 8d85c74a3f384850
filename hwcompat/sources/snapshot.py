"""SnapshotSource: facts from a recorded machine (snapshot format v1, see README "Snapshots").

A snapshot is a directory, or a ``.tar.gz`` of one (the directory as its single top entry, or
its contents at the top). Either form is read completely when it is opened, within fixed bounds,
into memory; after that no snapshot path ever reaches the operating system. Symlinks inside
``fs/`` are resolved by this module against the snapshot's own root, so no link and no manifest
entry, however written, can make hwcompat read a file of the machine it runs on, and a snapshot
that changes on disk during a run cannot mix two machines.

Refused, naming the entry (:class:`~hwcompat.errors.SnapshotError`, exit 4): members outside the
snapshot, hard links, device nodes, FIFOs and sockets, ``fs`` or ``cmd`` that are links, a member
or a whole snapshot over the size bounds, a truncated or corrupted gzip stream, a manifest that
is not the format (or names a command twice, or an output outside ``cmd/``).
"""

from __future__ import annotations

import gzip
import json
import os
import posixpath
import stat as stat_mod
import tarfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hwcompat.errors import CannotCheck, SnapshotError
from hwcompat.sources.base import CommandOutput, FileStat, UdevDevice, walk_pci_sysfs

FORMAT = "hwcompat-snapshot/1"
MAX_LINK_HOPS = 40
#: bounds on what a snapshot may hold: one file, all files together, how many entries, the manifest
MAX_MEMBER_BYTES = 256 << 20  # a full Internet table is about 110 MB of ip -j route
MAX_TOTAL_BYTES = 512 << 20
MAX_ENTRIES = 200_000
MAX_MANIFEST_BYTES = 16 << 20


def command_slug(argv: Sequence[str]) -> str:
    """File name of a command's stdout under ``cmd/``: argv joined with ``_``, ``/`` made ``.``."""
    return "_".join(argv).replace("/", ".")


@dataclass(frozen=True, slots=True)
class _Node:
    kind: str  # "file" | "dir" | "link"
    target: str = ""


@dataclass
class _Tree:
    """A snapshot held in memory: every entry by its relative path, file contents, directory entries."""

    where: str
    nodes: dict[str, _Node] = field(default_factory=lambda: {"": _Node("dir")})
    data: dict[str, bytes] = field(default_factory=dict)
    kids: dict[str, set[str]] = field(default_factory=dict)
    total: int = 0

    def add(self, rel: str, node: _Node, data: bytes = b"") -> None:
        if len(self.nodes) >= MAX_ENTRIES:
            raise SnapshotError(self.where, f"more than {MAX_ENTRIES} entries; refused")
        if node.kind == "file":
            self.total += len(data)
            if self.total > MAX_TOTAL_BYTES:
                raise SnapshotError(self.where, f"more than {MAX_TOTAL_BYTES >> 20} MiB of content; refused at {rel!r}")
            self.data[rel] = data
        parent, _, name = rel.rpartition("/")
        self.kids.setdefault(parent, set()).add(name)
        while parent not in self.nodes:  # ancestors not seen yet become directories; one that is known has its own already
            self.nodes[parent] = _Node("dir")
            parent, _, name = parent.rpartition("/")
            self.kids.setdefault(parent, set()).add(name)
        self.nodes[rel] = node


def _too_big(where: str, rel: str, size: int) -> SnapshotError:
    return SnapshotError(where, f"member {rel!r} has {size} bytes, more than the {MAX_MEMBER_BYTES >> 20} MiB a snapshot file may have; refused")


def _load_dir(root: Path) -> _Tree:
    tree = _Tree(str(root))

    def walk(directory: Path, rel: str) -> None:
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                child = f"{rel}/{entry.name}" if rel else entry.name
                st = entry.stat(follow_symlinks=False)
                if stat_mod.S_ISLNK(st.st_mode):
                    tree.add(child, _Node("link", os.readlink(entry.path)))
                elif stat_mod.S_ISDIR(st.st_mode):
                    tree.add(child, _Node("dir"))
                    walk(Path(entry.path), child)
                elif stat_mod.S_ISREG(st.st_mode):
                    if st.st_size > MAX_MEMBER_BYTES:
                        raise _too_big(str(root), child, st.st_size)
                    fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
                    with os.fdopen(fd, "rb") as fh:
                        data = fh.read(MAX_MEMBER_BYTES + 1)
                    if len(data) > MAX_MEMBER_BYTES:
                        raise _too_big(str(root), child, len(data))
                    tree.add(child, _Node("file"), data)
                else:
                    raise SnapshotError(str(root), f"entry {child!r} is a {_kind(st.st_mode)}; only files, directories and symlinks are allowed")

    walk(root, "")
    return tree


def _kind(mode: int) -> str:
    if stat_mod.S_ISFIFO(mode):
        return "FIFO"
    if stat_mod.S_ISCHR(mode) or stat_mod.S_ISBLK(mode):
        return "device node"
    if stat_mod.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _safe_name(where: str, name: str) -> str:
    norm = posixpath.normpath(name) if name not in ("", ".") else ""
    if name.startswith("/") or norm == ".." or norm.startswith("../") or "/../" in f"/{name}/":
        raise SnapshotError(where, f"member {name!r} would land outside the snapshot; refused")
    return "" if norm == "." else norm


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.islnk():
        return "hard link"
    if info.ischr() or info.isblk():
        return "device node"
    if info.isfifo():
        return "FIFO"
    return "special file"


def _load_tar(path: Path) -> _Tree:
    where = str(path)
    members: list[tuple[str, _Node, bytes]] = []
    read = 0
    try:
        with gzip.open(path, "rb") as gz:
            with tarfile.open(fileobj=gz, mode="r|") as tar:
                for info in tar:
                    name = _safe_name(where, info.name)
                    if not name:
                        continue
                    if info.isdir():
                        members.append((name, _Node("dir"), b""))
                    elif info.issym():
                        members.append((name, _Node("link", info.linkname), b""))
                    elif info.isreg():
                        if info.size > MAX_MEMBER_BYTES:
                            raise _too_big(where, name, info.size)
                        read += info.size
                        if read > MAX_TOTAL_BYTES:
                            raise SnapshotError(where, f"more than {MAX_TOTAL_BYTES >> 20} MiB of content; refused at {name!r}")
                        fh = tar.extractfile(info)
                        data = fh.read() if fh is not None else b""
                        if len(data) != info.size:
                            raise SnapshotError(where, f"member {name!r} is cut short (truncated tarball)")
                        members.append((name, _Node("file"), data))
                    else:
                        raise SnapshotError(where, f"member {info.name!r} is a {_tar_kind(info)}; only files, directories and symlinks are allowed")
            # tar stops at its end marker; reading on to the end of the gzip stream checks its CRC and length
            while gz.read(1 << 20):
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise SnapshotError(where, f"not a readable .tar.gz (truncated or corrupted?): {err}") from None
    names = [m[0] for m in members]
    tops = {n.split("/", 1)[0] for n in names}
    prefix = tops.pop() + "/" if "manifest.json" not in names and len(tops) == 1 else ""
    tree = _Tree(where)
    for name, node, data in members:
        if prefix and not (name + "/").startswith(prefix):
            continue
        rel = name[len(prefix):]
        if rel:
            tree.add(rel, node, data)
    return tree


class SnapshotSource:
    """Facts from a snapshot directory or ``.tar.gz``, read whole when opened.

    :param path: the snapshot directory or tarball
    :raises SnapshotError: when it is missing, truncated, malformed, too big or hostile
    """

    kind = "snapshot"

    def __init__(self, path: str | Path) -> None:
        self.location = str(path)
        p = Path(path)
        try:
            if p.is_dir():
                self._tree = _load_dir(p)
            elif p.is_file():
                self._tree = _load_tar(p)
            else:
                raise SnapshotError(self.location, "no such directory or .tar.gz file")
        except (RecursionError, OSError) as err:
            raise SnapshotError(self.location, f"cannot be read: {err}") from None
        for top in ("fs", "cmd"):
            if self._tree.nodes.get(top, _Node("dir")).kind != "dir":
                raise SnapshotError(self.location, f"{top} is a {self._tree.nodes[top].kind}, not a directory; refused")
        self.manifest = self._load_manifest()
        self.recorded = frozenset(posixpath.normpath(r) for r in self.manifest["recorded"])  # type: ignore[attr-defined]
        self.listed: dict[str, list[str]] = {posixpath.normpath(k): v for k, v in self.manifest.get("listed", {}).items()}  # type: ignore[attr-defined]
        self._commands = {tuple(c["argv"]): c for c in self.manifest["commands"]}  # type: ignore[attr-defined]

    def entries(self) -> list[tuple[str, str, str | bytes]]:
        """Every entry as (relative path, kind, payload), kind file|link|dir: what ``write_snapshot`` writes (redact, copy)."""
        out: list[tuple[str, str, str | bytes]] = []
        for rel, node in sorted(self._tree.nodes.items()):
            if not rel:
                continue
            out.append((rel, node.kind, self._tree.data.get(rel, b"") if node.kind == "file" else node.target))
        return out

    def _load_manifest(self) -> dict[str, object]:
        node = self._tree.nodes.get("manifest.json")
        if node is None or node.kind != "file":
            raise SnapshotError(self.location, "manifest.json is missing (not a snapshot, or its writing was cut short)")
        raw = self._tree.data["manifest.json"]
        if len(raw) > MAX_MANIFEST_BYTES:
            raise SnapshotError(self.location, f"manifest.json has {len(raw)} bytes, more than {MAX_MANIFEST_BYTES >> 20} MiB; refused")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise SnapshotError(self.location, f"manifest.json is not valid JSON: {err}") from None
        except RecursionError:
            raise SnapshotError(self.location, "manifest.json is nested too deeply to be a manifest; refused") from None
        problems = _manifest_problems(data)
        if problems:
            raise SnapshotError(self.location, "manifest.json: " + "; ".join(problems))
        for cmd in data["commands"]:
            out = cmd["stdout"]
            if out is None:
                continue
            norm = posixpath.normpath(out)
            found = self._tree.nodes.get(norm)
            if norm != out or not out.startswith("cmd/") or "/" in out[4:] or found is None or found.kind != "file":
                raise SnapshotError(self.location, f"manifest.json names {out!r} for `{' '.join(cmd['argv'])}`, but that is no file "
                                                   "directly under cmd/ (truncated, or hostile)")
        return data  # type: ignore[no-any-return]

    def where(self, path: str) -> str:
        """``snapshot <location>: fs<path>``."""
        return f"snapshot {self.location}: fs{path}"

    def _is_recorded(self, path: str) -> bool:
        """True when the path or one of its ancestors is a recorded root."""
        parts = posixpath.normpath(path).split("/")
        return "/" in self.recorded or any("/".join(parts[:i]) in self.recorded for i in range(2, len(parts) + 1))

    def _resolve(self, path: str, follow_last: bool) -> tuple[str, _Node] | None:
        """Resolve an absolute machine path to a node under fs/, following links inside fs/."""
        pending = [c for c in path.split("/") if c not in ("", ".")]
        done: list[str] = []
        hops = 0
        while pending:
            comp = pending.pop(0)
            if comp == "..":
                if done:
                    done.pop()
                continue
            rel = "fs/" + "/".join([*done, comp])
            node = self._tree.nodes.get(rel)
            if node is None:
                return None
            if node.kind == "link" and (pending or follow_last):
                hops += 1
                if hops > MAX_LINK_HOPS:
                    raise SnapshotError(self.location, f"symlink loop at fs{path}")
                target = [c for c in node.target.split("/") if c not in ("", ".")]
                if node.target.startswith("/"):
                    done = []
                pending = target + pending
                continue
            if pending and node.kind != "dir":
                return None
            done.append(comp)
        rel = "fs/" + "/".join(done) if done else "fs"
        node = self._tree.nodes.get(rel)
        return (rel, node) if node else None

    def _missing(self, path: str) -> None:
        if not self._is_recorded(path):
            raise CannotCheck(f"{path} is not recorded in snapshot {self.location}")

    def read_bytes(self, path: str) -> bytes | None:
        """A recorded file's content; None if recorded as absent; CannotCheck if not recorded."""
        found = self._resolve(path, follow_last=True)
        if found is None:
            self._missing(path)
            return None
        rel, node = found
        if node.kind != "file":
            raise CannotCheck(f"{path} is recorded as a {node.kind}, not a file, in snapshot {self.location}")
        return self._tree.data[rel]

    def read_text(self, path: str) -> str | None:
        """A recorded text file's content (undecodable bytes replaced)."""
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", errors="replace")

    def read_link(self, path: str) -> str | None:
        """A recorded symlink's target."""
        found = self._resolve(path, follow_last=False)
        if found is None:
            self._missing(path)
            return None
        if found[1].kind != "link":
            raise CannotCheck(f"{path} is recorded as a {found[1].kind}, not a link, in snapshot {self.location}")
        return found[1].target

    def list_dir(self, path: str) -> list[str] | None:
        """Entries of a directory whose listing was recorded (or that lies under a recorded root).

        A directory that merely exists in fs/ because something below it was recorded has an
        incomplete listing: it is not recorded, and listing it is "cannot check".
        """
        norm = posixpath.normpath(path)
        if norm in self.listed:
            return sorted(self.listed[norm])
        if not self._is_recorded(path):
            raise CannotCheck(f"the entries of {path} are not recorded in snapshot {self.location}")
        found = self._resolve(path, follow_last=True)
        if found is None:
            return None
        if found[1].kind != "dir":
            raise CannotCheck(f"{path} is recorded as a {found[1].kind}, not a directory, in snapshot {self.location}")
        return sorted(self._tree.kids.get(found[0], set()))

    def stat(self, path: str) -> FileStat | None:
        """Metadata from the manifest's ``stat`` table."""
        entry = self.manifest["stat"].get(path)  # type: ignore[attr-defined]
        if entry is None:
            self._missing(path)
            return None
        return FileStat(entry["type"], entry["mode"], entry["uid"], entry["gid"], entry["size"])

    def run(self, argv: Sequence[str]) -> CommandOutput:
        """Replay a recorded command."""
        cmd = self._commands.get(tuple(argv))
        if cmd is None:
            raise CannotCheck(f"`{' '.join(argv)}` is not recorded in snapshot {self.location}")
        stdout = None if cmd["stdout"] is None else self._tree.data[cmd["stdout"]].decode("utf-8", "replace")
        return CommandOutput(tuple(argv), stdout, int(cmd["exit"]), str(cmd.get("stderr", "")))

    def pci_devices(self) -> list[UdevDevice]:
        """PCI devices from the recorded sysfs mirror."""
        return walk_pci_sysfs(self)

    def cpuid_flags(self) -> list[str]:
        """The CPUID flags recorded in the manifest's ``calls``."""
        flags = self.manifest.get("calls", {}).get("cpuid_flags")  # type: ignore[attr-defined]
        if flags is None:
            raise CannotCheck(f"the CPUID flags are not recorded in snapshot {self.location}")
        return list(flags)


def _manifest_problems(data: object) -> list[str]:
    if not isinstance(data, dict):
        return ["top level must be an object"]
    problems = []
    if data.get("format") != FORMAT:
        problems.append(f"format must be {FORMAT!r}, got {str(data.get('format'))[:80]!r}")
    recorded = data.get("recorded")
    if not isinstance(recorded, list) or not all(isinstance(r, str) and r.startswith("/") for r in recorded):
        problems.append("recorded must be a list of absolute paths")
    listed = data.setdefault("listed", {})
    if not isinstance(listed, dict) or not all(
            isinstance(k, str) and k.startswith("/") and isinstance(v, list) and all(isinstance(n, str) and n and "/" not in n for n in v)
            for k, v in listed.items()):
        problems.append("listed must map absolute directory paths to lists of entry names")
    calls = data.setdefault("calls", {})
    if not isinstance(calls, dict) or not all(isinstance(v, list) and all(isinstance(f, str) for f in v) for v in calls.values()):
        problems.append("calls must map a library call (cpuid_flags) to a list of strings")
    commands = data.setdefault("commands", [])
    if not isinstance(commands, list):
        problems.append("commands must be a list")
    else:
        seen: set[tuple[str, ...]] = set()
        for i, cmd in enumerate(commands):
            ok = (
                isinstance(cmd, dict)
                and isinstance(cmd.get("argv"), list) and cmd["argv"] and all(isinstance(a, str) for a in cmd["argv"])
                and (cmd.get("stdout") is None or isinstance(cmd.get("stdout"), str))
                and isinstance(cmd.get("exit"), int) and not isinstance(cmd.get("exit"), bool)
                and isinstance(cmd.get("stderr", ""), str)
            )
            if not ok:
                problems.append(f"commands[{i}] must have argv (list of strings), stdout (path or null), exit (integer), stderr (text)")
            elif tuple(cmd["argv"]) in seen:
                problems.append(f"commands[{i}] records `{' '.join(cmd['argv'])}` a second time (which one is true?)")
            else:
                seen.add(tuple(cmd["argv"]))
    stats = data.setdefault("stat", {})
    if not isinstance(stats, dict):
        problems.append("stat must be an object")
    else:
        for key, entry in stats.items():
            ok = (
                isinstance(entry, dict) and {"type", "mode", "uid", "gid", "size"} <= entry.keys()
                and entry["type"] in ("file", "dir", "link") and isinstance(entry["mode"], str)
                and all(c in "01234567" for c in entry["mode"]) and 0 < len(entry["mode"]) <= 6
                and all(isinstance(entry[k], int) and not isinstance(entry[k], bool) for k in ("uid", "gid", "size"))
            )
            if not ok:
                problems.append(f"stat[{key[:200]!r}] must have type (file|dir|link), mode (octal string like \"0600\"), uid, gid, size (integers)")
    return problems
