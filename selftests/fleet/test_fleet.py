"""The shipped playbook (hwcompat/ansible/collect.yml) against three real SSH hosts, and against bad ones.

Each host is Debian's sshd in a network namespace the test creates (and a UTS namespace, so it has
its own hostname, and a mount namespace, for sshd's /run/sshd), listening on 127.0.0.1 inside that
namespace only. ansible-playbook reaches it through ``ip netns exec NS relay.py 127.0.0.1 22`` as
ssh's ProxyCommand: no packet leaves a namespace, the host's own network is never touched. Host key
and user key are throwaway ones made in tmp_path.

The inventory also holds a host nothing listens for (unreachable), a host where become fails, and
a second name for the first host (two snapshots of one machine): the run names each, and still
fetches the others.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import yaml

from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import REPO
from selftests.live import netns

PLAYBOOK = REPO / "hwcompat" / "ansible" / "collect.yml"
RELAY = Path(__file__).with_name("relay.py")
SSHD = "/usr/sbin/sshd"
ANSIBLE = Path(sys.executable).with_name("ansible-playbook")


def why_not() -> str:
    """Why the fleet test cannot run here, or ''."""
    if not ANSIBLE.exists():
        return "ansible-playbook is not installed next to this Python (pip install -r requirements-fleet.lock)"
    if not Path(SSHD).exists() or not shutil.which("ssh") or not shutil.which("ssh-keygen"):
        return "openssh-server and openssh-client are not installed (apt-get install openssh-server)"
    if not shutil.which("unshare"):
        return "unshare (util-linux) is not installed"
    return netns.why_not()


REASON = why_not()
pytestmark = [pytest.mark.live, pytest.mark.skipif(bool(REASON), reason=REASON or "ok")]


def keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hwcompat-fleet-test", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


@contextmanager
def ssh_host(tag: str, tmp: Path, hostname: str | None) -> Iterator[str]:
    """A namespace with loopback up; with a hostname, an sshd listening on 127.0.0.1:22 in it (none: nothing listens)."""
    with netns.namespace(tag) as ns:
        netns.run(ns, "ip", "link", "set", "lo", "up")
        if hostname is None:
            yield ns
            return
        config = tmp / f"sshd-{tag}.conf"
        config.write_text(f"""ListenAddress 127.0.0.1:22
HostKey {tmp / "hostkey"}
PidFile none
AuthorizedKeysFile {tmp / "authorized_keys"}
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
Subsystem sftp internal-sftp
""")
        log = (tmp / f"sshd-{tag}.log").open("w")
        # sshd needs /run/sshd: a tmpfs over /run in its own mount namespace, never the host's /run
        script = f"mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd && hostname {hostname} && exec {SSHD} -D -e -f {config}"
        proc = subprocess.Popen(["ip", "netns", "exec", ns, "unshare", "--uts", "--mount", "--propagation", "private", "/bin/sh", "-c", script],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 20
            while ":22 " not in netns.run(ns, "ss", "-ltnH", check=False).stdout:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp / f"sshd-{tag}.log").read_text()
                time.sleep(0.1)
            yield ns
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def inventory(tmp: Path, hosts: dict[str, tuple[str, dict[str, str]]]) -> Path:
    """An inventory: each host reaches sshd in its namespace through the relay; su as become (no sudo needed)."""
    known = tmp / "known_hosts"
    known.write_text("hwcompat-fleet " + (tmp / "hostkey.pub").read_text())
    entries = {}
    for name, (ns, extra) in hosts.items():
        proxy = f"ip netns exec {ns} {sys.executable} {RELAY} 127.0.0.1 22"
        entries[name] = {"ansible_ssh_common_args": f"-F /dev/null -o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes "
                                                    f"-o HostKeyAlias=hwcompat-fleet -o 'ProxyCommand={proxy}'", **extra}
    data = {"all": {"hosts": entries, "vars": {"ansible_user": "root", "ansible_ssh_private_key_file": str(tmp / "id"),
                                               "ansible_become_method": "su", "ansible_remote_tmp": str(tmp / "remote-tmp")}}}
    path = tmp / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def playbook(tmp: Path, inv: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_HOME=str(tmp / "ansible-home"), ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_SSH_ARGS="-o ControlMaster=no", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_CONFIG=str(tmp / "ansible.cfg"),
               ANSIBLE_HOST_KEY_CHECKING="1", ANSIBLE_TIMEOUT="20")
    (tmp / "ansible.cfg").write_text("[defaults]\n")
    return subprocess.run([str(ANSIBLE), "-i", str(inv), str(PLAYBOOK), "-e", f"hwcompat_out={tmp / 'snapshots'}", *extra],
                          capture_output=True, text=True, env=env, cwd=tmp, timeout=600, check=False)


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP: host -> {ok, changed, unreachable, failed, ...}."""
    out = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output.split("PLAY RECAP", 1)[1], re.M):
        out[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return out


def test_playbook_fetches_one_snapshot_per_host_and_names_the_bad_ones(tmp_path: Path) -> None:
    tmp = tmp_path
    (tmp / "authorized_keys").write_text(keygen(tmp / "id") + "\n")
    keygen(tmp / "hostkey")
    (tmp / "remote-tmp").mkdir()
    before = set(Path("/tmp").glob("hwcompat.*"))
    with ExitStack() as stack:
        ns = {name: stack.enter_context(ssh_host(f"fl{name}", tmp, name)) for name in ("gw1", "gw2", "gw3")}
        dead = stack.enter_context(ssh_host("fldead", tmp, None))
        inv = inventory(tmp, {
            "gw1": (ns["gw1"], {}), "gw2": (ns["gw2"], {}), "gw3": (ns["gw3"], {}),
            "gw1-again": (ns["gw1"], {}),  # a second name for gw1: two snapshots of one machine
            "unreachable": (dead, {}),  # a namespace where nothing listens
            "nobecome": (ns["gw2"], {"ansible_become_user": "hwcompat-no-such-user"}),  # become fails
        })
        done = playbook(tmp, inv)
        output = done.stdout + done.stderr
        (tmp / "playbook.log").write_text(output)
        counts = recap(output)
        assert done.returncode != 0, output[-3000:]
        for good in ("gw1", "gw2", "gw3", "gw1-again"):
            assert counts[good]["failed"] == 0 and counts[good]["unreachable"] == 0, output[-3000:]
        assert counts["unreachable"]["unreachable"] == 1
        assert counts["nobecome"]["failed"] == 1 and counts["nobecome"]["unreachable"] == 0
        assert "hwcompat-no-such-user" in output  # the become failure says why

        fetched = sorted(p.name for p in (tmp / "snapshots").iterdir())
        assert fetched == ["gw1-again.tar.gz", "gw1.tar.gz", "gw2.tar.gz", "gw3.tar.gz"]
        for name in ("gw1", "gw1-again", "gw2", "gw3"):
            snap = SnapshotSource(tmp / "snapshots" / f"{name}.tar.gz")
            assert snap.manifest["hostname"] == name.removesuffix("-again")
            assert snap.manifest["captured_by"].startswith("hwcompat-collect")  # type: ignore[union-attr]
            assert "/sys/bus/pci/devices" in snap.listed or "/sys/bus/pci/devices" in snap.recorded
        for name in ("gw1", "gw2", "gw3"):
            run = subprocess.run([sys.executable, "-m", "hwcompat.cli", "run", "--profile", "hosts/vpn-gateway",
                                  "--snapshot", str(tmp / "snapshots" / f"{name}.tar.gz"), "--json", str(tmp / f"{name}.json")],
                                 capture_output=True, text=True, cwd=REPO, check=False)
            assert run.returncode in (0, 1), run.stdout[-2000:] + run.stderr
            assert json.loads((tmp / f"{name}.json").read_text())["items"]

        summary = output.split("Snapshots per host", 1)[1]
        assert re.search(r"unreachable: NOT RECORDED", summary) and re.search(r"nobecome: NOT RECORDED", summary)
        assert re.search(r"one machine, 2 snapshots: gw1, gw1-again all have hostname gw1", summary)

        # again: every snapshot exists, so nothing is overwritten and each host says so
        stamps = {p.name: p.read_bytes() for p in (tmp / "snapshots").iterdir()}
        again = playbook(tmp, inv, "-e", "hwcompat_hosts=gw1:gw2")
        assert again.returncode != 0
        assert set(re.findall(r"fatal: \[(\S+)\]: FAILED.*already exists: move it away", again.stdout)) == {"gw1", "gw2"}, again.stdout[-3000:]
        assert {p.name: p.read_bytes() for p in (tmp / "snapshots").iterdir()} == stamps
    assert set(Path("/tmp").glob("hwcompat.*")) == before  # every work directory on the hosts was removed
