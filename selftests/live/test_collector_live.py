"""The sh collector on this machine: the same snapshot as `hwcompat snapshot`, as root and as nobody, read-only.

Recorded back to back: Python, sh, Python again; when the two Python recordings differ the machine
changed in between (a module loaded, an interface came) and the triple is taken again. The sh
snapshot must then agree with them on recorded roots, listed directories, commands (exit and
stderr), stat, hostname, and give every item of every bundled profile the same verdict, except the
CPUID flags, which only py-cpuinfo reads (those items must say "cannot check").
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hwcompat.sources.live import LiveSource
from selftests.collector_support import COLLECTOR, collect_sh, manifest_view, record_python, tools_dir, verdicts
from selftests.live import netns
from selftests.live.test_net_live import build_gateway
from selftests.live.test_read_only import state

pytestmark = [pytest.mark.live, pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="not a Linux machine")]
NOBODY = 65534
CPUID_MISSING = "the CPUID flags are not recorded in snapshot"


@contextmanager
def shared_dir() -> Iterator[Path]:
    """A directory every user may write (nobody's snapshots go there), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="hwcompat-collect-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def python_as_nobody(out: Path) -> Path:
    """`hwcompat snapshot` as nobody: the recording runs in a forked child that drops root first."""
    from cpuinfo import cpuinfo  # noqa: F401 - imported while root can still read the venv

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            record_python(LiveSource(), out)
            code = 0
        except BaseException:
            (out.parent / "child-error.txt").write_text(traceback.format_exc())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    error = out.parent / "child-error.txt"
    assert os.waitstatus_to_exitcode(status) == 0, error.read_text() if error.exists() else status
    return out


def triple(where: Path, shell_name: str, path: str | None, nobody: bool) -> tuple[Path, Path, Path] | None:
    """(python, sh, python) snapshots of this machine, or None when the two Python ones differ."""
    where.mkdir(mode=0o777)
    where.chmod(0o777)
    prefix: tuple[str, ...] = ()
    script = COLLECTOR
    if nobody:  # from a copy nobody can read, wherever the checkout is
        script = where / "hwcompat-collect"
        shutil.copy(COLLECTOR, script)
        script.chmod(0o755)
        prefix = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
    record = python_as_nobody if nobody else lambda out: record_python(LiveSource(), out)
    first = record(where / "py1")
    done = collect_sh(where / "sh.tar.gz", shell_name, path=path, prefix=prefix, script=script)
    assert done.returncode == 0, done.stderr
    assert ("not running as root" in done.stderr) == nobody
    second = record(where / "py2")
    same = _view(first) == _view(second) and verdicts(first) == verdicts(second)
    return (first, where / "sh.tar.gz", second) if same else None


def _view(snapshot: Path) -> dict[str, object]:
    view = manifest_view(snapshot)
    view.pop("calls")
    return view


def check_same(tmp: Path, shell_name: str, path: str | None, nobody: bool = False) -> tuple[Path, dict[str, tuple[str, str]]]:
    """Assert the sh snapshot of this machine is `hwcompat snapshot`'s; returns it and its verdicts."""
    for attempt in range(3):
        taken = triple(tmp / f"try{attempt}", shell_name, path, nobody)
        if taken is None:
            continue
        py, sh, _ = taken
        want, got = _view(py), _view(sh)
        for key in ("recorded", "listed", "commands", "stat", "hostname"):
            assert got[key] == want[key], key
        assert manifest_view(sh)["calls"] == {}
        sh_verdicts, py_verdicts = verdicts(sh), verdicts(py)
        differ = {item for item in py_verdicts if sh_verdicts[item] != py_verdicts[item]}
        for item in differ:
            outcome, message = sh_verdicts[item]
            assert outcome == "failed" and message.startswith("cannot check") and CPUID_MISSING in message, (item, py_verdicts[item])
        for item, (outcome, message) in sh_verdicts.items():
            if CPUID_MISSING in message:
                assert item in differ or py_verdicts[item] == (outcome, message)
        return sh, sh_verdicts
    pytest.fail("this machine changed between every pair of Python recordings (3 tries)")


def test_sh_collector_under_dash_records_what_hwcompat_snapshot_records(tmp_path: Path) -> None:
    if not shutil.which("dash"):
        pytest.skip("dash is not installed (apt-get install dash)")
    check_same(tmp_path, "dash", None)


def test_sh_collector_under_busybox_with_busybox_tools_records_the_same(tmp_path: Path) -> None:
    if not shutil.which("busybox"):
        pytest.skip("busybox is not installed (apt-get install busybox)")
    tools = tools_dir(tmp_path, "busybox")
    # the machine's own programs (ip, nft, iptables-*, xl) stay where they are; every tool of the collector is busybox's
    check_same(tmp_path, "busybox", f"{tools}{os.pathsep}{os.environ['PATH']}")


def test_as_nobody_it_leaves_out_what_only_root_reads_as_hwcompat_snapshot_does(tmp_path: Path) -> None:
    if os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("dash"):
        pytest.skip("needs root, setpriv (util-linux) and dash to run both collectors as nobody")
    with shared_dir() as where:
        sh, sh_verdicts = check_same(where, "dash", None, nobody=True)
        view = manifest_view(sh)
        root_verdicts = verdicts(record_python(LiveSource(), where / "root"))
    tables = Path("/proc/net/ip_tables_names")
    if tables.exists() and not tables.stat().st_mode & 0o004:
        assert str(tables) not in view["recorded"]  # type: ignore[operator]  # could not be read: left out, so "cannot check"
    nft = view["commands"].get(("nft", "-j", "list", "ruleset"))  # type: ignore[attr-defined]
    if nft is not None and nft[0] is not None:
        assert nft[1] != 0 and "not permitted" in nft[2]  # run, and its refusal recorded as hwcompat snapshot records it
    # where nobody's verdict differs from root's, it is "cannot check", never another verdict
    for item, (outcome, message) in sh_verdicts.items():
        if (outcome, message) != root_verdicts[item] and CPUID_MISSING not in message:
            assert outcome == "failed" and message.startswith("cannot check"), (item, message, root_verdicts[item])


REASON = netns.why_not() or ("" if shutil.which("iptables") and shutil.which("nft") and shutil.which("dash") else "iptables, nft, dash needed")


@pytest.mark.skipif(bool(REASON), reason=REASON or "ok")
def test_in_a_gateway_namespace_it_changes_nothing_and_asks_what_hwcompat_asks(tmp_path: Path) -> None:
    """No legacy nat table in the namespace: neither collector runs iptables-legacy-save (it would create one)."""
    with netns.namespace("coll") as ns:
        for key in ("all", "default"):
            netns.sysctl(ns, f"ipv6.conf.{key}.disable_ipv6", 1)
        build_gateway(ns, guard=True)
        before = state(ns)
        done = netns.run(ns, "dash", str(COLLECTOR), "--out", str(tmp_path / "sh.tar.gz"), check=False)
        assert done.returncode == 0, done.stderr
        py = netns.run(ns, sys.executable, "-m", "hwcompat.cli", "snapshot", "--out", str(tmp_path / "py"), check=False)
        assert py.returncode == 0, py.stderr
        after = state(ns)
    assert after == before
    sh_commands = manifest_view(tmp_path / "sh.tar.gz")["commands"]
    assert sh_commands == manifest_view(tmp_path / "py")["commands"]
    assert ("iptables-legacy-save", "-t", "nat") not in sh_commands  # type: ignore[operator]
    assert ("nft", "-j", "list", "ruleset") in sh_commands  # type: ignore[operator]
