"""SnapshotSource: facts from a recorded machine (snapshot format v1, see README "Snapshots").

A snapshot is a directory, or a ``.tar.gz`` of one (the directory as its single top entry, or
its contents at the top). Tarballs are read in memory and never extracted. Symlinks inside
``fs/`` are resolved by this module against the snapshot's own root, so no link, however
written, can make hwcompat read a file of the machine it runs on.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat as stat_mod
import tarfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hwcompat.errors import CannotCheck, SnapshotError
from hwcompat.sources.base import CommandOutput, FileStat, UdevDevice, walk_pci_sysfs

FORMAT = "hwcompat-snapshot/1"
MAX_LINK_HOPS = 40


def command_slug(argv: Sequence[str]) -> str:
    """File name of a command's stdout under ``cmd/``: argv joined with ``_``, ``/`` made ``.``."""
    return "_".join(argv).replace("/", ".")


@dataclass(frozen=True, slots=True)
class _Node:
    kind: str  # "file" | "dir" | "link"
    target: str = ""


class _DirTree:
    """A snapshot directory, inspected with lstat only (links are never followed by the OS)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def node(self, rel: str) -> _Node | None:
        try:
            st = os.lstat(self.root / rel)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat_mod.S_ISLNK(st.st_mode):
            return _Node("link", os.readlink(self.root / rel))
        if stat_mod.S_ISDIR(st.st_mode):
            return _Node("dir")
        if stat_mod.S_ISREG(st.st_mode):
            return _Node("file")
        return None

    def read(self, rel: str) -> bytes:
        # O_NOFOLLOW: the resolver already followed every link inside the snapshot
        fd = os.open(self.root / rel, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            return fh.read()

    def children(self, rel: str) -> list[str]:
        return sorted(os.listdir(self.root / rel))


class _TarTree:
    """A snapshot tarball, indexed in memory; refuses members that would land outside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - kept open for lazy reads
        self.nodes: dict[str, _Node] = {}
        self.members: dict[str, tarfile.TarInfo] = {}
        self.kids: dict[str, set[str]] = {}
        infos = self.tar.getmembers()
        names = [self._safe_name(m) for m in infos]
        tops = {n.split("/", 1)[0] for n in names if n}
        prefix = ""
        if "manifest.json" not in names and len(tops) == 1:
            prefix = tops.pop() + "/"
        for info, name in zip(infos, names, strict=True):
            if prefix and not (name + "/").startswith(prefix):
                continue
            rel = name[len(prefix):]
            if not rel:
                continue
            if info.isdir():
                node = _Node("dir")
            elif info.issym():
                node = _Node("link", info.linkname)
            elif info.isreg():
                node = _Node("file")
            else:
                raise SnapshotError(str(path), f"member {info.name!r} is a {_tar_kind(info)}; only files, directories and symlinks are allowed")
            self.nodes[rel] = node
            self.members[rel] = info
            parts = rel.split("/")
            for i in range(len(parts)):
                parent = "/".join(parts[:i])
                self.kids.setdefault(parent, set()).add(parts[i])
                if i and "/".join(parts[:i]) not in self.nodes:
                    self.nodes["/".join(parts[:i])] = _Node("dir")

    def _safe_name(self, info: tarfile.TarInfo) -> str:
        name = info.name
        norm = posixpath.normpath(name) if name not in ("", ".") else ""
        if name.startswith("/") or norm == ".." or norm.startswith("../") or "/../" in f"/{name}/":
            raise SnapshotError(str(self.path), f"member {name!r} would land outside the snapshot; refused")
        return "" if norm == "." else norm

    def node(self, rel: str) -> _Node | None:
        return self.nodes.get(rel)

    def read(self, rel: str) -> bytes:
        fh = self.tar.extractfile(self.members[rel])
        if fh is None:
            raise SnapshotError(str(self.path), f"member {rel!r} has no content")
        try:
            return fh.read()
        except (EOFError, tarfile.ReadError, zlib.error, OSError) as err:
            raise SnapshotError(str(self.path), f"truncated while reading {rel!r}: {err}") from None

    def children(self, rel: str) -> list[str]:
        return sorted(self.kids.get(rel, set()))


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.islnk():
        return "hard link"
    if info.ischr() or info.isblk():
        return "device node"
    if info.isfifo():
        return "fifo"
    return "special file"


class SnapshotSource:
    """Facts from a snapshot directory or ``.tar.gz``.

    :param path: the snapshot directory or tarball
    :raises SnapshotError: when it is missing, truncated, malformed or hostile
    """

    kind = "snapshot"

    def __init__(self, path: str | Path) -> None:
        self.location = str(path)
        p = Path(path)
        try:
            if p.is_dir():
                self._tree: _DirTree | _TarTree = _DirTree(p)
            elif p.is_file():
                self._tree = _TarTree(p)
            else:
                raise SnapshotError(self.location, "no such directory or .tar.gz file")
        except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
            raise SnapshotError(self.location, f"not a readable .tar.gz (truncated?): {err}") from None
        self.manifest = self._load_manifest()
        self.recorded = frozenset(posixpath.normpath(r) for r in self.manifest["recorded"])  # type: ignore[attr-defined]
        self._commands = {tuple(c["argv"]): c for c in self.manifest["commands"]}  # type: ignore[attr-defined]

    def _load_manifest(self) -> dict[str, object]:
        node = self._tree.node("manifest.json")
        if node is None or node.kind != "file":
            raise SnapshotError(self.location, "manifest.json is missing (not a snapshot, or truncated)")
        try:
            data = json.loads(self._tree.read("manifest.json").decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise SnapshotError(self.location, f"manifest.json is not valid JSON: {err}") from None
        problems = _manifest_problems(data)
        if problems:
            raise SnapshotError(self.location, "manifest.json: " + "; ".join(problems))
        for cmd in data["commands"]:
            out = cmd["stdout"]
            if out is not None:
                found = self._tree.node(posixpath.normpath(out))
                if found is None or found.kind != "file" or not out.startswith("cmd/"):
                    raise SnapshotError(self.location, f"manifest.json names {out!r} for `{' '.join(cmd['argv'])}` but no such file under cmd/ (truncated?)")
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
            node = self._tree.node(rel)
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
        node = self._tree.node(rel)
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
        return self._tree.read(rel)

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
        """Entries of a recorded directory."""
        found = self._resolve(path, follow_last=True)
        if found is None:
            self._missing(path)
            return None
        if found[1].kind != "dir":
            raise CannotCheck(f"{path} is recorded as a {found[1].kind}, not a directory, in snapshot {self.location}")
        return self._tree.children(found[0])

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
        stdout = None if cmd["stdout"] is None else self._tree.read(posixpath.normpath(cmd["stdout"])).decode("utf-8", "replace")
        return CommandOutput(tuple(argv), stdout, int(cmd["exit"]), str(cmd.get("stderr", "")))

    def pci_devices(self) -> list[UdevDevice]:
        """PCI devices from the recorded sysfs mirror."""
        return walk_pci_sysfs(self)


def _manifest_problems(data: object) -> list[str]:
    if not isinstance(data, dict):
        return ["top level must be an object"]
    problems = []
    if data.get("format") != FORMAT:
        problems.append(f"format must be {FORMAT!r}, got {data.get('format')!r}")
    recorded = data.get("recorded")
    if not isinstance(recorded, list) or not all(isinstance(r, str) and r.startswith("/") for r in recorded):
        problems.append("recorded must be a list of absolute paths")
    commands = data.setdefault("commands", [])
    if not isinstance(commands, list):
        problems.append("commands must be a list")
    else:
        for i, cmd in enumerate(commands):
            ok = (
                isinstance(cmd, dict)
                and isinstance(cmd.get("argv"), list) and cmd["argv"] and all(isinstance(a, str) for a in cmd["argv"])
                and (cmd.get("stdout") is None or isinstance(cmd.get("stdout"), str))
                and isinstance(cmd.get("exit"), int)
            )
            if not ok:
                problems.append(f"commands[{i}] must have argv (list of strings), stdout (path or null), exit (integer)")
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
                problems.append(f"stat[{key!r}] must have type (file|dir|link), mode (octal string like \"0600\"), uid, gid, size (integers)")
    return problems
