"""Running the sh collector (hwcompat/collector/hwcompat-collect) and `hwcompat snapshot`'s recording side by side.

A *fake machine* is a directory tree (what the machine's files are) and stub commands (what its
programs print). The sh collector reads it through its self-test hook ``HWCOMPAT_COLLECT_ROOT``;
the Python collectors read it through :class:`RootedLiveSource`, a LiveSource whose paths start at
that directory. Both run the commands found on ``PATH``, which holds only the stubs and the tools
the collector is documented to need (:data:`TOOLS`), so both see the same machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from hwcompat.errors import CannotCheck
from hwcompat.facts.cache import DOMAINS, FactCache
from hwcompat.plan import evaluate
from hwcompat.profile import loader
from hwcompat.sources.base import FileStat
from hwcompat.sources.live import LiveSource
from hwcompat.sources.recording import RecordingSource, write_snapshot
from hwcompat.sources.snapshot import SnapshotSource, command_slug
from selftests.conftest import REPO

COLLECTOR = REPO / "hwcompat" / "collector" / "hwcompat-collect"
#: every program the collector runs besides the machine's own (README: "sh, coreutils or busybox, grep, sed, awk, od, tar, gzip")
TOOLS = ("awk", "cat", "date", "grep", "gzip", "id", "ln", "ls", "mkdir", "mv", "od", "readlink", "rm", "sed", "sleep", "sort", "stat",
         "tail", "tar", "tr", "wc")
PROFILES = sorted(loader.PROFILES_DIR.rglob("*.yaml"))


def tools_dir(where: Path, flavour: str) -> Path:
    """A directory of the collector's tools: the machine's own ("system"), or every one of them busybox's ("busybox")."""
    tools = where / f"tools-{flavour}"
    tools.mkdir(exist_ok=True)
    busybox = shutil.which("busybox") if flavour == "busybox" else None
    for tool in TOOLS:
        found = busybox or shutil.which(tool)
        assert found, f"{tool} is not installed"
        if not (tools / tool).is_symlink():
            (tools / tool).symlink_to(found)
    return tools


def shell(name: str) -> list[str]:
    """The argv that runs a script under dash or busybox sh."""
    found = shutil.which(name)
    assert found, f"{name} is not installed"
    return [found, "sh"] if name == "busybox" else [found]


def collect_sh(out: Path, shell_name: str = "dash", *, path: str | None = None, root: Path | None = None,
               prefix: tuple[str, ...] = (), script: Path = COLLECTOR, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the sh collector (``prefix`` e.g. runs it as another user, then from a copy in ``script``) writing ``out``."""
    env = {k: v for k, v in os.environ.items() if k != "HWCOMPAT_COLLECT_ROOT"}
    if path is not None:
        env["PATH"] = path
    if root is not None:
        env["HWCOMPAT_COLLECT_ROOT"] = str(root)
    return subprocess.run([*prefix, *shell(shell_name), str(script), "--out", str(out)], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


class RootedLiveSource(LiveSource):
    """LiveSource reading a fake machine's tree: every path is taken below ``root``; no CPUID (a fake machine has none)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = str(root)

    def read_bytes(self, path: str) -> bytes | None:
        return super().read_bytes(self.root + path)

    def read_link(self, path: str) -> str | None:
        return super().read_link(self.root + path)

    def list_dir(self, path: str) -> list[str] | None:
        return super().list_dir(self.root + path)

    def stat(self, path: str) -> FileStat | None:
        return super().stat(self.root + path)

    def cpuid_flags(self) -> list[str]:
        raise CannotCheck("a fake machine has no CPU")


def record_python(source: LiveSource, out: Path) -> Path:
    """What `hwcompat snapshot` does (hwcompat/cli.py cmd_snapshot), on ``source``."""
    rec = RecordingSource(source)
    facts = FactCache(rec)
    for domain in DOMAINS:
        try:
            facts.get(domain)
        except CannotCheck:
            pass
    host = rec.read_text("/proc/sys/kernel/hostname") or ""
    return write_snapshot(rec, out, host.strip())


@contextmanager
def env_path(path: str) -> Iterator[None]:
    """PATH set to ``path`` while the Python collectors run (LiveSource finds commands through it)."""
    old = os.environ["PATH"]
    os.environ["PATH"] = path
    try:
        yield
    finally:
        os.environ["PATH"] = old


def manifest_view(snapshot: Path) -> dict[str, object]:
    """What the two collectors must agree on: recorded roots, listed directories, commands, stat, calls, hostname."""
    manifest = SnapshotSource(snapshot).manifest
    commands = {tuple(c["argv"]): (c["stdout"], c["exit"], c["stderr"]) for c in manifest["commands"]}  # type: ignore[attr-defined]
    return {"recorded": manifest["recorded"], "listed": manifest["listed"], "commands": commands, "stat": manifest["stat"],
            "calls": manifest["calls"], "hostname": manifest["hostname"]}


def verdicts(snapshot: Path) -> dict[str, tuple[str, str]]:
    """Outcome and message of every item of every bundled profile against a snapshot (its location taken out of messages)."""
    source = SnapshotSource(snapshot)
    facts = FactCache(source)
    out = {}
    for path in PROFILES:
        profile = loader.load(path, template=True)
        if any(p.value is None for p in profile.params):
            continue  # a role a run cannot use until its parameters are set (the host profiles extending it are here)
        for item, result in evaluate(profile, facts):
            out[f"{path.relative_to(loader.PROFILES_DIR)}::{item}"] = (result.outcome, result.message.replace(str(snapshot), "SNAPSHOT"))
    return out


def fake_machine(where: Path, snapshot: Path, tools: Path) -> tuple[Path, str]:
    """A fake machine made from a snapshot: its fs/ as the tree, its commands as stubs. Returns (root, PATH)."""
    root = where / "root"
    shutil.copytree(snapshot / "fs", root, symlinks=True)
    manifest = json.loads((snapshot / "manifest.json").read_text())
    for path, st in manifest.get("stat", {}).items():
        # a credential file: what is there must never be read, so it holds something no parser accepts
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"\x00SECRET" + b"x" * max(0, st["size"] - 7))
        target.chmod(int(st["mode"], 8))
    commands = {}
    for cmd in manifest["commands"]:
        if cmd["stdout"] is not None:
            commands[tuple(cmd["argv"])] = ((snapshot / cmd["stdout"]).read_bytes(), cmd.get("stderr", "").encode(), cmd["exit"])
    return root, str(stub_commands(where / "stubs", commands)) + os.pathsep + str(tools)


def stub_commands(stubs: Path, commands: Mapping[tuple[str, ...], tuple[bytes, bytes, int]]) -> Path:
    """Programs that print what ``commands`` says for each argv (stdout, stderr, exit); other argv: exit 2."""
    data = stubs / "data"
    data.mkdir(parents=True, exist_ok=True)
    script = stubs / "stub"
    script.write_text(f"""#!/bin/sh
# a fake machine's program: replays {data}/<argv joined by _>.*
slug=${{0##*/}}
for a in "$@"; do slug="${{slug}}_$a"; done
slug=$(printf '%s' "$slug" | tr / .)
d='{data}'
if [ -f "$d/$slug.exit" ]; then cat "$d/$slug.out"; cat "$d/$slug.err" >&2; exit "$(cat "$d/$slug.exit")"; fi
echo "stub: nothing recorded for $*" >&2
exit 2
""")
    script.chmod(0o755)
    bin_dir = stubs / "bin"
    bin_dir.mkdir(exist_ok=True)
    for argv, (out, err, code) in commands.items():
        slug = command_slug(argv)
        (data / f"{slug}.out").write_bytes(out)
        (data / f"{slug}.err").write_bytes(err)
        (data / f"{slug}.exit").write_text(str(code))
        if not (bin_dir / argv[0]).exists():
            (bin_dir / argv[0]).symlink_to(script)
    return bin_dir
