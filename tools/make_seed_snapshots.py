"""Write the reconstructed seed snapshots (format v1) from the published X10SAE listing.

    python tools/make_seed_snapshots.py            # rewrite both snapshots
    python tools/make_seed_snapshots.py --check    # exit 1 if the committed ones differ

What was published and what is inferred is said in snapshots/x10sae-xen-dom0/README.md.
Sources of every id and driver: ../shared/reference/domain-facts.md, section A.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import posixpath
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "snapshots" / "x10sae-xen-dom0"
MODERN = ROOT / "selftests" / "data" / "snapshots" / "x10sae-modern"

# slot, vendor:device, class, revision, subsystem, driver on 3.13, driver on a current kernel, parent slot
DEVICES = [
    ("00:00.0", "8086:0c08", "060000", "06", "15d9:0805", None, "ie31200_edac", None),
    ("00:01.0", "8086:0c01", "060400", "06", "15d9:0805", "pcieport", "pcieport", None),
    ("01:00.0", "1000:0072", "010700", "03", "1000:3020", "mpt2sas", "mpt3sas", "00:01.0"),
    ("00:02.0", "8086:041a", "030000", "06", "15d9:0805", "i915", "i915", None),
    ("00:03.0", "8086:0c0c", "040300", "06", "15d9:0805", "snd_hda_intel", "snd_hda_intel", None),
    ("00:14.0", "8086:8c31", "0c0330", "05", "15d9:0805", "xhci_hcd", "xhci_hcd", None),
    ("00:16.0", "8086:8c3a", "078000", "04", "15d9:0805", "mei_me", "mei_me", None),
    ("00:16.3", "8086:8c3d", "070002", "04", "15d9:0805", "serial", "serial", None),
    ("00:19.0", "8086:153a", "020000", "05", "15d9:153a", "e1000e", "e1000e", None),
    ("00:1a.0", "8086:8c2d", "0c0320", "05", "15d9:0805", "ehci-pci", "ehci-pci", None),
    ("00:1b.0", "8086:8c20", "040300", "05", "15d9:0805", "snd_hda_intel", "snd_hda_intel", None),
    ("00:1c.0", "8086:8c10", "060400", "d5", "15d9:0805", "pcieport", "pcieport", None),
    ("00:1c.3", "8086:8c16", "060400", "d5", "15d9:0805", "pcieport", "pcieport", None),
    ("03:00.0", "8086:1533", "020000", "03", "15d9:1533", "igb", "igb", "00:1c.3"),
    ("00:1c.5", "8086:8c1a", "060400", "d5", "15d9:0805", "pcieport", "pcieport", None),
    ("04:00.0", "10e3:8113", "060401", "01", None, None, None, "00:1c.5"),
    ("05:03.0", "104c:8023", "0c0010", "00", "15d9:0805", "firewire_ohci", "firewire_ohci", "04:00.0"),
    ("00:1c.6", "8086:8c1c", "060400", "d5", "15d9:0805", "pcieport", "pcieport", None),
    ("06:00.0", "1912:0015", "0c0330", "02", "15d9:0805", "xhci_hcd", "xhci_hcd", "00:1c.6"),
    ("00:1c.7", "8086:8c1e", "060400", "d5", "15d9:0805", "pcieport", "pcieport", None),
    ("07:00.0", "1b21:0612", "010601", "01", "15d9:0805", "ahci", "ahci", "00:1c.7"),
    ("00:1d.0", "8086:8c26", "0c0320", "05", "15d9:0805", "ehci-pci", "ehci-pci", None),
    ("00:1f.0", "8086:8c56", "060100", "05", "15d9:0805", "lpc_ich", "lpc_ich", None),
    ("00:1f.2", "8086:8c02", "010601", "05", "15d9:0805", "ahci", "ahci", None),
    ("00:1f.3", "8086:8c22", "0c0500", "05", "15d9:0805", "i801_smbus", "i801_smbus", None),
    ("00:1f.6", "8086:8c24", "118000", "05", "15d9:0805", None, "intel_pch_thermal", None),
]

DOM0_FLAGS = (
    "fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush acpi mmx fxsr sse sse2 ss ht syscall nx lm "
    "constant_tsc rep_good nopl nonstop_tsc eagerfpu pni pclmulqdq monitor est ssse3 fma cx16 sse4_1 sse4_2 "
    "movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm ida arat epb xsaveopt "
    "pln pts dtherm fsgsbase bmi1 hle avx2 bmi2 erms rtm"
)
BARE_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse "
    "sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon pebs bts rep_good nopl xtopology "
    "nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr "
    "pdcm pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm "
    "cpuid_fault epb invpcid_single pti ssbd ibrs ibpb stibp tpr_shadow vnmi flexpriority ept vpid fsgsbase "
    "tsc_adjust bmi1 avx2 smep bmi2 erms invpcid xsaveopt dtherm ida arat pln pts flush_l1d"
)

# name, size, used by (3.13 Dom0); sizes are typical of Debian's 3.13 amd64 build (inferred)
MODULES_313 = [
    ("xen_netback", 35892, ""), ("xen_blkback", 30953, ""), ("xen_gntdev", 17599, ""),
    ("xen_evtchn", 12962, ""), ("xenfs", 12817, ""), ("xen_privcmd", 13153, "xenfs"),
    ("bridge", 96328, ""), ("stp", 12488, "bridge"), ("llc", 13011, "stp,bridge"),
    ("8021q", 24010, ""), ("garp", 13282, "8021q"), ("mrp", 13113, "8021q"),
    ("i915", 686520, ""), ("drm_kms_helper", 41789, "i915"), ("drm", 230195, "i915,drm_kms_helper"),
    ("i2c_algo_bit", 12751, "i915"), ("snd_hda_intel", 39559, ""), ("snd_hda_codec", 142285, "snd_hda_intel"),
    ("snd_hwdep", 13148, "snd_hda_codec"), ("snd_pcm", 84514, "snd_hda_codec,snd_hda_intel"),
    ("snd_timer", 26630, "snd_pcm"), ("snd", 60195, "snd_hwdep,snd_timer,snd_pcm,snd_hda_codec,snd_hda_intel"),
    ("soundcore", 12921, "snd"), ("mei_me", 17941, ""), ("mei", 62729, "mei_me"),
    ("lpc_ich", 20768, ""), ("mfd_core", 12601, "lpc_ich"), ("i2c_i801", 16870, ""), ("i2c_core", 28898, "drm,i915,i2c_i801,drm_kms_helper,i2c_algo_bit"),
    ("firewire_ohci", 35561, ""), ("firewire_core", 52930, "firewire_ohci"), ("crc_itu_t", 12347, "firewire_core"),
    ("e1000e", 207981, ""), ("igb", 154530, ""), ("i2c_algo_bit_dummy", 0, ""),
    ("dca", 13046, "igb"), ("ptp", 17692, "igb,e1000e"), ("pps_core", 14080, "ptp"),
    ("mpt2sas", 161446, ""), ("raid_class", 12832, "mpt2sas"), ("scsi_transport_sas", 30980, "mpt2sas"),
    ("ahci", 25579, ""), ("libahci", 27184, "ahci"), ("libata", 173310, "ahci,libahci"),
    ("scsi_mod", 190951, "libata,scsi_transport_sas,raid_class,mpt2sas"),
    ("xhci_hcd", 144014, ""), ("ehci_pci", 12472, ""), ("ehci_hcd", 48148, "ehci_pci"),
    ("usbcore", 175410, "ehci_hcd,ehci_pci,xhci_hcd"), ("usb_common", 12440, "usbcore"),
]
MODULES_313 = [m for m in MODULES_313 if m[1]]
MODULES_MODERN = [
    (n.replace("mpt2sas", "mpt3sas"), s, u.replace("mpt2sas", "mpt3sas")) for n, s, u in MODULES_313
    if not n.startswith("xen") and n not in ("xenfs",)
] + [("ie31200_edac", 16384, ""), ("intel_pch_thermal", 20480, ""), ("xhci_pci", 24576, ""), ("kvm_intel", 380928, "")]
BUILTIN = ["kernel/drivers/tty/serial/8250/8250.ko", "kernel/drivers/tty/serial/8250/8250_pci.ko",
           "kernel/drivers/pci/pcie/portdrv.ko", "kernel/drivers/xen/xen-balloon.ko"]
ON_DISK_EXTRA = [("kernel/arch/x86/kvm/kvm.ko", ""), ("kernel/arch/x86/kvm/kvm-intel.ko", "kernel/arch/x86/kvm/kvm.ko"),
                 ("kernel/drivers/gpu/drm/nouveau/nouveau.ko", ""), ("kernel/drivers/xen/xen-pciback/xen-pciback.ko", "")]


def _full(slot: str) -> str:
    return f"0000:{slot}"


def _sys_path(slot: str) -> str:
    chain = []
    cur: str | None = slot
    parents = {d[0]: d[7] for d in DEVICES}
    while cur is not None:
        chain.append(_full(cur))
        cur = parents[cur]
    return "/sys/devices/pci0000:00/" + "/".join(reversed(chain))


def _cpuinfo(count: int, flags: str, microcode: str, siblings: int, cores: int) -> str:
    blocks = []
    for n in range(count):
        blocks.append(
            f"processor\t: {n}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 60\n"
            f"model name\t: Intel(R) Xeon(R) CPU E3-1265L v3 @ 2.50GHz\nstepping\t: 3\nmicrocode\t: {microcode}\n"
            f"cpu MHz\t\t: 2500.056\ncache size\t: 8192 KB\nphysical id\t: 0\nsiblings\t: {siblings}\n"
            f"core id\t\t: {n % cores}\ncpu cores\t: {cores}\napicid\t\t: {2 * n}\ninitial apicid\t: {2 * n}\n"
            f"fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\nflags\t\t: {flags}\n"
            f"bogomips\t: 5000.11\nclflush size\t: 64\ncache_alignment\t: 64\n"
            f"address sizes\t: 39 bits physical, 48 bits virtual\npower management:\n"
        )
    return "\n".join(blocks) + "\n"


def _modules(mods: list[tuple[str, int, str]]) -> str:
    lines = []
    addr = 0xFFFFFFFFA0000000
    for name, size, used in mods:
        users = used.split(",") if used else []
        lines.append(f"{name} {size} {len(users)} {','.join(users) + ',' if users else '-'} Live 0x{addr:016x}")
        addr += 0x10000
    return "\n".join(lines) + "\n"


def _modules_dep(mods: list[tuple[str, int, str]]) -> str:
    lines = [f"kernel/drivers/misc/{name.replace('_', '-')}.ko:" for name, _, _ in mods]
    lines += [f"{path}: {dep}".rstrip() for path, dep in ON_DISK_EXTRA]
    return "\n".join(lines) + "\n"


def build(out: Path, modern: bool) -> None:
    """Write one snapshot directory."""
    fs = out / "fs"
    release = "6.1.0-18-amd64" if modern else "3.13-1-amd64"
    files: dict[str, str] = {
        "/proc/sys/kernel/hostname": "x10sae\n",
        "/proc/sys/kernel/osrelease": release + "\n",
        "/proc/cpuinfo": _cpuinfo(8, BARE_FLAGS, "0x28", 8, 4) if modern else _cpuinfo(2, DOM0_FLAGS, "0x17", 4, 2),
        "/proc/meminfo": ("MemTotal:       16282000 kB\nMemFree:        15000000 kB\n" if modern
                          else "MemTotal:       10180316 kB\nMemFree:         1207340 kB\n"),
        "/proc/modules": _modules(MODULES_MODERN if modern else MODULES_313),
        f"/lib/modules/{release}/modules.builtin": "\n".join(BUILTIN) + "\n",
        f"/lib/modules/{release}/modules.dep": _modules_dep(MODULES_MODERN if modern else MODULES_313),
        "/sys/class/dmi/id/board_vendor": "Supermicro\n",
        "/sys/class/dmi/id/board_name": "X10SAE\n",
        "/sys/class/dmi/id/board_version": "1.01\n",
        "/sys/class/dmi/id/bios_vendor": "American Megatrends Inc.\n",
        "/sys/class/dmi/id/bios_version": "3.0\n" if modern else "2.0\n",
        "/sys/class/dmi/id/bios_date": "05/26/2017\n" if modern else "11/25/2013\n",
        "/sys/class/dmi/id/sys_vendor": "Supermicro\n",
        "/sys/class/dmi/id/product_name": "X10SAE\n",
    }
    links: dict[str, str] = {}
    recorded = ["/proc/cpuinfo", "/proc/meminfo", "/proc/modules", "/proc/sys/kernel", "/sys/bus/pci",
                "/sys/devices/pci0000:00", "/sys/class/dmi/id", f"/lib/modules/{release}/modules.builtin",
                f"/lib/modules/{release}/modules.dep"]
    for slot, ident, cls, rev, subsys, drv313, drvnew, _ in DEVICES:
        path = _sys_path(slot)
        vendor, device = ident.split(":")
        files[f"{path}/vendor"] = f"0x{vendor}\n"
        files[f"{path}/device"] = f"0x{device}\n"
        files[f"{path}/class"] = f"0x{cls}\n"
        files[f"{path}/revision"] = f"0x{rev}\n"
        if subsys:
            sv, sd = subsys.split(":")
            files[f"{path}/subsystem_vendor"] = f"0x{sv}\n"
            files[f"{path}/subsystem_device"] = f"0x{sd}\n"
        driver = drvnew if modern else drv313
        uevent = [f"PCI_CLASS={cls.upper()}", f"PCI_ID={ident.upper()}", f"PCI_SLOT_NAME={_full(slot)}"]
        if subsys:
            uevent.insert(2, f"PCI_SUBSYS_ID={subsys.upper()}")
        if driver:
            uevent.insert(0, f"DRIVER={driver}")
            links[f"{path}/driver"] = posixpath.relpath(f"/sys/bus/pci/drivers/{driver}", path)
        files[f"{path}/uevent"] = "\n".join(uevent) + "\n"
        links[f"/sys/bus/pci/devices/{_full(slot)}"] = posixpath.relpath(path, "/sys/bus/pci/devices")
    for p, text in files.items():
        dest = fs / p.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    for p, target in links.items():
        dest = fs / p.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, dest)
    manifest = {
        "format": "hwcompat-snapshot/1",
        "captured_at": "2026-11-26T00:00:00Z" if modern else "2014-09-02T10:00:00Z",
        "captured_by": "tools/make_seed_snapshots.py (reconstructed, not recorded)",
        "hostname": "x10sae",
        "recorded": sorted(recorded),
        "commands": [],
        "stat": {},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _same(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b, ignore=["README.md"])
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    return all(_same(a / d, b / d) for d in cmp.common_dirs)


def main() -> int:
    """Rewrite the snapshots, or with --check compare them with the committed ones."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed snapshots differ")
    args = ap.parse_args()
    for target, modern in ((SEED, False), (MODERN, True)):
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / target.name
            fresh.mkdir()
            build(fresh, modern)
            if args.check:
                if not target.is_dir() or not _same(fresh, target):
                    print(f"{target.relative_to(ROOT)} differs from tools/make_seed_snapshots.py", file=sys.stderr)
                    return 1
                continue
            keep = target / "README.md"
            readme = keep.read_text(encoding="utf-8") if keep.exists() else None
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(fresh, target, symlinks=True)
            if readme is not None:
                keep.write_text(readme, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
