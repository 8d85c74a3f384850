"""Build a snapshot (format v1) from a published ``lspci -vvnn`` listing and its ``dmidecode``.

    python tools/snapshot_from_lspci.py LSPCI.txt [--dmidecode DMI.txt] --release 5.15.0-91-generic \
        --hostname NAME --source "where it was published" --out DIR [--check]
    python tools/snapshot_from_lspci.py --all [--check]      # the bundled ones (PUBLISHED below)

What a listing tells, the snapshot holds: every function with its vendor:device, class and prog-if,
revision, subsystem (for bridges, from their subsystem capability, as Linux reads it), the driver in
use, and its place in the tree, rebuilt from each bridge's ``Bus: secondary=`` line (a function on
bus N sits behind the bridge whose secondary bus is N). Nothing else is invented: no NUMA node, no
other attributes, no file the listing does not support; the manifest records only the sysfs and DMI
roots it writes. ``--check`` compares with an existing snapshot instead of writing one.

The published listings used for the bundled snapshots live in selftests/data/corpus/pci/ with
their sources.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import posixpath
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HEADER = re.compile(r"^(?P<bdf>(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) [^\[]*\[(?P<cls>[0-9a-f]{4})\]: .*?"
                    r"\[(?P<vendor>[0-9a-f]{4}):(?P<device>[0-9a-f]{4})\](?: \(rev (?P<rev>[0-9a-f]{2})\))?(?: \(prog-if (?P<progif>[0-9a-f]{2})\b.*)?")
SUBSYSTEM = re.compile(r"^\t(?:Capabilities: \[[0-9a-f]+\] )?Subsystem: .*\[(?P<vendor>[0-9a-f]{4}):(?P<device>[0-9a-f]{4})\]\s*$")
BUS = re.compile(r"^\tBus: primary=(?P<primary>[0-9a-f]{2}), secondary=(?P<secondary>[0-9a-f]{2})")
DRIVER = re.compile(r"^\tKernel driver in use: (?P<driver>\S+)")
DMI_FIELDS = {("BIOS Information", "Vendor"): "bios_vendor", ("BIOS Information", "Version"): "bios_version",
              ("BIOS Information", "Release Date"): "bios_date", ("System Information", "Manufacturer"): "sys_vendor",
              ("System Information", "Product Name"): "product_name", ("Base Board Information", "Manufacturer"): "board_vendor",
              ("Base Board Information", "Product Name"): "board_name", ("Base Board Information", "Version"): "board_version"}


ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "selftests" / "data" / "corpus" / "pci"
LSPCI = "linuxhw/LsPCI"
DMI = "linuxhw/DMI at 57b21bc6fdd863380e99c228c22aafcd1509528c"

#: the bundled snapshots built from published listings: directory -> (listing, dmidecode, release, hostname, source)
PUBLISHED = {
    "snapshots/x10sae-core-i5": (
        "x10sae--FB4CD398216A-A3DDA288D1--lspci.txt", "x10sae--FB4CD398216A--dmidecode.txt", "5.15.0-91-generic", "x10sae-i5-4690",
        f"{LSPCI} Server/Supermicro/X10/X10SAE/FB4CD398216A/LINUXMINT-21.2/5.15.0-91-GENERIC/X86_64/A3DDA288D1 "
        f"at b6f7d8f21b9a2b2be1e232663e46b81e2fec611c; {DMI} Server/Supermicro/X10/X10SAE/FB4CD398216A"),
    "snapshots/x10sae-xeon-radeon": (
        "x10sae--A9C50EEA59D1-2FF14127D7--lspci.txt", "x10sae--A9C50EEA59D1--dmidecode.txt", "5.6.7-gentoo", "x10sae-e3-1245v3",
        f"{LSPCI} Server/Supermicro/X10/X10SAE/A9C50EEA59D1/GENTOO-2.7/5.6.7-GENTOO/X86_64/2FF14127D7 "
        f"at 926a35a557e6a396cf5ad5c56009069878d7fcb7; {DMI} Server/Supermicro/X10/X10SAE/A9C50EEA59D1"),
    "snapshots/x10slm-f": (
        "x10slm-f--2106070CFE6E-9B3D3F5BDD--lspci.txt", "x10slm-f--2106070CFE6E--dmidecode.txt", "6.1.0-13-amd64", "x10slm-f-e3-1220v3",
        f"{LSPCI} Server/Supermicro/X10/X10SLM-F/2106070CFE6E/DEBIAN-12/6.1.0-13-AMD64/X86_64/9B3D3F5BDD "
        f"at b6f7d8f21b9a2b2be1e232663e46b81e2fec611c; {DMI} Server/Supermicro/X10/X10SLM-F/2106070CFE6E"),
}


@dataclass
class Function:
    """One PCI function of a listing."""

    bdf: str
    vendor: str
    device: str
    cls: str
    rev: str | None
    subsystem: tuple[str, str] | None = None
    driver: str | None = None
    secondary: str | None = None


def parse_lspci(text: str) -> list[Function]:
    """The functions of an ``lspci -vvnn`` listing (as root or not: subsystem lines may come from a capability)."""
    out: list[Function] = []
    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            bdf = m["bdf"] if m["bdf"].count(":") == 2 else f"0000:{m['bdf']}"
            out.append(Function(bdf, m["vendor"], m["device"], m["cls"] + (m["progif"] or "00"), m["rev"]))
            continue
        if not out:
            continue
        if (s := SUBSYSTEM.match(line)) and out[-1].subsystem is None:
            out[-1].subsystem = (s["vendor"], s["device"])
        elif b := BUS.match(line):
            out[-1].secondary = b["secondary"]
        elif d := DRIVER.match(line):
            out[-1].driver = d["driver"]
    return out


def parse_dmidecode(text: str) -> dict[str, str]:
    """The DMI fields hwcompat reads (/sys/class/dmi/id names), from ``dmidecode`` text."""
    out: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        if line and not line.startswith(("\t", "Handle", "#")) and ":" not in line:
            section = line.strip()
        elif line.startswith("\t") and not line.startswith("\t\t") and ": " in line:
            key, _, value = line.strip().partition(": ")
            name = DMI_FIELDS.get((section, key))
            if name and name not in out:
                out[name] = value
    return out


def sys_paths(functions: list[Function]) -> dict[str, str]:
    """Each function's /sys/devices path, from the bridges' secondary bus numbers."""
    behind = {f.secondary: f for f in functions if f.secondary}
    paths: dict[str, str] = {}

    def path(f: Function) -> str:
        if f.bdf not in paths:
            domain, bus, _ = f.bdf.split(":")
            parent = behind.get(bus) if bus != "00" else None
            base = path(parent) if parent else f"/sys/devices/pci{domain}:{bus}"
            paths[f.bdf] = f"{base}/{f.bdf}"
        return paths[f.bdf]

    for f in functions:
        path(f)
    return paths


def build(functions: list[Function], dmi: dict[str, str], release: str, hostname: str, source: str, out: Path) -> None:
    """Write the snapshot directory."""
    paths = sys_paths(functions)
    fs = out / "fs"
    for f in functions:
        real = fs / paths[f.bdf].lstrip("/")
        real.mkdir(parents=True, exist_ok=True)
        attrs = {"vendor": f"0x{f.vendor}", "device": f"0x{f.device}", "class": f"0x{f.cls}"}
        if f.rev:
            attrs["revision"] = f"0x{f.rev}"
        if f.subsystem:
            attrs["subsystem_vendor"], attrs["subsystem_device"] = f"0x{f.subsystem[0]}", f"0x{f.subsystem[1]}"
        for name, value in attrs.items():
            (real / name).write_text(value + "\n")
        if f.driver:
            os.symlink(posixpath.relpath(f"/sys/bus/pci/drivers/{f.driver}", paths[f.bdf]), real / "driver")
        link = fs / "sys/bus/pci/devices" / f.bdf
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(posixpath.relpath(paths[f.bdf], "/sys/bus/pci/devices"), link)
    for name, value in sorted(dmi.items()):
        (fs / "sys/class/dmi/id").mkdir(parents=True, exist_ok=True)
        (fs / "sys/class/dmi/id" / name).write_text(value + "\n")
    (fs / "proc/sys/kernel").mkdir(parents=True)
    (fs / "proc/sys/kernel/osrelease").write_text(release + "\n")
    (fs / "proc/sys/kernel/hostname").write_text(hostname + "\n")
    roots = sorted({"/sys/bus/pci", "/proc/sys/kernel"} | {"/" + "/".join(paths[f.bdf].split("/")[1:4]) for f in functions}
                   | ({"/sys/class/dmi/id"} if dmi else set()))
    manifest = {"format": "hwcompat-snapshot/1", "captured_at": "unknown", "captured_by": f"tools/snapshot_from_lspci.py from {source}",
                "hostname": hostname, "recorded": roots, "commands": [], "stat": {}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def _same(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b, ignore=["README.md"])
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    return all(_same(a / d, b / d) for d in cmp.common_dirs)


def one(lspci: Path, dmidecode: Path | None, release: str, hostname: str, source: str, out: Path, check: bool) -> bool:
    """Build one snapshot, or check that ``out`` is what it would be."""
    functions = parse_lspci(lspci.read_text(encoding="utf-8"))
    dmi = parse_dmidecode(dmidecode.read_text(encoding="utf-8")) if dmidecode else {}
    if not check:
        out.mkdir(parents=True)
        build(functions, dmi, release, hostname, source, out)
        return True
    with tempfile.TemporaryDirectory() as tmp:
        build(functions, dmi, release, hostname, source, Path(tmp) / "s")
        if not _same(Path(tmp) / "s", out):
            print(f"{out} differs from what {lspci} gives; rebuild it", file=sys.stderr)
            return False
    return True


def main() -> int:
    """Build (or --check) one snapshot, or all the bundled ones."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lspci", type=Path, nargs="?")
    ap.add_argument("--dmidecode", type=Path)
    ap.add_argument("--release")
    ap.add_argument("--hostname")
    ap.add_argument("--source")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--all", action="store_true", help="the bundled snapshots listed in PUBLISHED")
    ap.add_argument("--check", action="store_true", help="compare with what exists instead of writing")
    args = ap.parse_args()
    if args.all:
        return 0 if all([one(CORPUS / lspci, CORPUS / dmi, release, host, source, ROOT / out, args.check)
                         for out, (lspci, dmi, release, host, source) in PUBLISHED.items()]) else 1
    if not (args.lspci and args.release and args.hostname and args.source and args.out):
        ap.error("give LSPCI, --release, --hostname, --source and --out (or --all)")
    return 0 if one(args.lspci, args.dmidecode, args.release, args.hostname, args.source, args.out, args.check) else 1


if __name__ == "__main__":
    sys.exit(main())
