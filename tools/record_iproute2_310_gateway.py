"""Record snapshots/iproute2-3.10-gateway: the seed gateway, with IPv6, as hwcompat sees it through iproute2 3.10.0.

    sudo python tools/record_iproute2_310_gateway.py --ip /path/to/iproute2-v3.10.0/ip/ip [--out snapshots/iproute2-3.10-gateway]

iproute2 3.10.0 is the version CentOS 7 and RHEL 7 ship (iproute-3.10.0). Build it from the
git tag v3.10.0 (git.kernel.org/pub/scm/network/iproute2/iproute2.git):
``make SUBDIRS="lib ip" CCOPTS="-O2 -fcommon -w"``. This script builds the gateway in a network
namespace it creates and deletes (the host's namespace is never touched, nothing is sent),
runs ``hwcompat snapshot`` inside it with that ``ip`` first on PATH, and keeps the network part
of the recording plus the host name. Every command output in the snapshot is what iproute2
3.10.0 printed: it has no ``-j`` (``Option "-j" is unknown``, exit 255), so hwcompat reads
``ip -d link show``, ``ip addr show``, ``ip rule show`` and ``ip route show table all`` as text,
IPv6 lines included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selftests.live import netns  # noqa: E402

GATEWAY = [
    "link set lo up",
    "link add eth0 type veth peer name eth0-peer", "link set eth0 up", "link set eth0-peer up",
    "addr add 192.168.1.2/24 brd 192.168.1.255 dev eth0",
    "addr add 2001:db8:1::2/64 dev eth0 nodad",
    "link add vlan6 type veth peer name vlan6-peer", "link add br6 type bridge", "link set vlan6 master br6",
    "link set vlan6 up", "link set vlan6-peer up", "link set br6 up", "addr add 192.168.6.1/24 dev br6",
    "addr add 2001:db8:6::1/64 dev br6 nodad",
    "tuntap add dev tun-hma mode tun", "link set tun-hma up", "addr add 10.200.0.6 peer 10.200.0.5 dev tun-hma",
    "route add default via 192.168.1.254 dev eth0 onlink",
    "route add ::/0 via 2001:db8:1::fffe dev eth0 metric 1024",
    "route add unreachable 2001:db8:dead::/48",
    "rule add from 192.168.6.1/24 to 192.168.1.1/16 lookup main pref 200",
    "rule add from 192.168.6.1/24 lookup 3 pref 201",
    "route add default dev tun-hma table 3",
    "route add unreachable default metric 4278198272 table 3",
]
KEEP = ("fs/proc/sys/net/", "fs/etc/iproute2", "fs/proc/sys/kernel/hostname", "cmd/ip_")


def main() -> int:
    """Build, record, keep the network part."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ip", required=True, help="iproute2 3.10.0's ip binary")
    ap.add_argument("--out", default=str(ROOT / "snapshots" / "iproute2-3.10-gateway"))
    args = ap.parse_args()
    version = subprocess.run([args.ip, "-V"], capture_output=True, text=True, check=False).stdout
    if "ss130716" not in version:
        sys.exit(f"{args.ip} says {version.strip()!r}; iproute2 3.10.0 says 'ip utility, iproute2-ss130716'")
    if netns.why_not():
        sys.exit(netns.why_not())
    with tempfile.TemporaryDirectory() as tmp, netns.namespace("c7") as ns:
        bindir = Path(tmp) / "bin"
        bindir.mkdir()
        (bindir / "ip").symlink_to(Path(args.ip).resolve())
        netns.batch(ns, GATEWAY)
        netns.sysctl(ns, "ipv4.ip_forward", 1)
        for dev in ("all", "br6", "tun-hma", "eth0"):
            netns.sysctl(ns, f"ipv4.conf.{dev}.rp_filter", 2 if dev != "all" else 0)
        raw = Path(tmp) / "raw"
        env = f"PATH={bindir}:{os.environ['PATH']}"
        netns.run(ns, "env", env, sys.executable, "-m", "hwcompat.cli", "snapshot", "--out", str(raw))
        keep(raw, Path(args.out))
    print(f"wrote {args.out}")
    return 0


def keep(raw: Path, out: Path) -> None:
    """The network part of a recording, manifest included (the README stays)."""
    readme = (out / "README.md").read_text() if (out / "README.md").exists() else None
    shutil.rmtree(out, ignore_errors=True)
    manifest = json.loads((raw / "manifest.json").read_text())
    for path in sorted(raw.rglob("*")):
        rel = path.relative_to(raw).as_posix()
        if path.is_file() and not path.is_symlink() and rel.startswith(KEEP):
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out / rel)

    def kept(p: str) -> bool:
        return ("fs" + p).startswith(KEEP) or ("fs" + p + "/").startswith(KEEP)

    manifest["recorded"] = [p for p in manifest["recorded"] if kept(p)]
    manifest["listed"] = {p: names for p, names in manifest.get("listed", {}).items() if kept(p)}
    manifest["commands"] = [c for c in manifest["commands"] if c["argv"][0] == "ip"]
    manifest["stat"], manifest["calls"] = {}, {}
    manifest["captured_by"] += " in a network namespace, iproute2 3.10.0 first on PATH (tools/record_iproute2_310_gateway.py)"
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if readme is not None:
        (out / "README.md").write_text(readme)


if __name__ == "__main__":
    sys.exit(main())
