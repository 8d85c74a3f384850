"""Network namespaces for the live tests: created and always deleted by the test, never the host's.

Every command runs as ``ip netns exec NAME ...``; nothing here touches the host's own
namespace, and only ``ip route get`` look-ups are made (no packet is sent).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


def why_not() -> str:
    """Why namespaces cannot be used here, or '' when they can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    probe = subprocess.run(["ip", "netns", "add", f"hwc-probe-{os.getpid()}"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"cannot create a network namespace: {probe.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", f"hwc-probe-{os.getpid()}"], check=False)
    return ""


@contextmanager
def namespace(tag: str) -> Iterator[str]:
    """A fresh network namespace, deleted afterwards whatever happens."""
    name = f"hwc-{tag}-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def run(ns: str, *argv: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command inside the namespace."""
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, check=check, input=stdin)


def batch(ns: str, commands: list[str]) -> None:
    """Run ``ip`` commands in one ``ip -force -batch -`` inside the namespace (failures are allowed)."""
    run(ns, "ip", "-force", "-batch", "-", check=False, stdin="\n".join(commands) + "\n")


def sysctl(ns: str, key: str, value: int) -> None:
    """Write a net sysctl of the namespace (its own /proc/sys/net)."""
    run(ns, "sh", "-c", f"echo {value} > /proc/sys/net/{key.replace('.', '/')}")
