"""Write the reconstructed seed snapshots (format v1) from the published X10SAE listing.

    python tools/make_seed_snapshots.py            # rewrite both snapshots
    python tools/make_seed_snapshots.py --check    # exit 1 if the committed ones differ

What was published and what is inferred is said in snapshots/x10sae-xen-dom0/README.md.
Sources of every id and driver: pci.ids (pciutils/pciids), Linux 3.13's driver id tables, and the
published X10SAE listings in selftests/data/corpus/pci/.
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "snapshots" / "x10sae-xen-dom0"
MODERN = ROOT / "selftests" / "data" / "snapshots" / "x10sae-modern"
GUEST = ROOT / "snapshots" / "xen-guest-tmem"
DEBIAN12 = ROOT / "snapshots" / "debian12-xen-dom0"
GATEWAY = ROOT / "snapshots" / "vpn-gateway"
GATEWAY_FIXED = ROOT / "snapshots" / "vpn-gateway-fixed"
GATEWAY_VLAN = ROOT / "snapshots" / "vpn-gateway-vlan"

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

# What py-cpuinfo 9.0.0's CPUID decoding names for this chip on bare metal (its names: rdrnd, tscdeadline,
# pdpe1gp); derived from BARE_FLAGS and py-cpuinfo's decoding table (inferred, not recorded). A Xen 4.3 PV
# Dom0's user space runs CPUID on the hardware, so it sees the same (plus TSX under the 2014 microcode).
CPUID_FLAGS = (
    "abm acpi aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de ds_cpl dtes64 dts erms est f16c fma fpu fsgsbase fxsr ht invpcid "
    "lahf_lm lm mca mce mmx monitor movbe msr mtrr nx osxsave pae pat pbe pcid pclmulqdq pdcm pdpe1gp pge pni popcnt pse pse36 rdrnd "
    "rdtscp sep smep smx ss sse sse2 sse4_1 sse4_2 ssse3 syscall tm tm2 tsc tscdeadline vme vmx x2apic xsave xtpr"
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


def _xl_info(fields: list[tuple[str, str]]) -> str:
    return "".join(f"{k:<23}: {v}\n" for k, v in fields)


def _xl_list(rows: list[tuple[str, int, int, int, str, float]]) -> str:
    out = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
    return out + "".join(f"{n:<40} {i:5d} {m:5d} {v:5d}     {st}  {t:8.1f}\n" for n, i, m, v, st, t in rows)


XENTOP_HEAD = ("      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS NETTX(k) NETRX(k) VBDS   VBD_OO"
               "   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID\n")

# The published xentop sample of the seed server; guest names were redacted there.
SEED_DOMAINS = [
    # name, id, xentop row after the name, tmem (Ge, Pp, Gp, ephemeral pages)
    ("Domain-0", 0, "-----r      27858    5.9   10397272   62.4   10485760      63.0     2    0        0        0    0        0"
                    "        0        0          0          0    0", None),
    ("guest1", 1, "--b---      12324    3.7    1191920    7.2    2098176      12.6     1    1 1475615857 47146601    1        0"
                  "   292522    47176   29285682    4827432    0", (0, 463995, 463807, 0)),
    ("guest2", 2, "--b---       1476    0.2     226068    1.4    2098176      12.6     1    1    74948    30323    1      544"
                  "  8277450    20808  239717602    1317408    0", (0, 119478, 119364, 0)),
    ("guest3", 3, "--b---        172    0.1     225820    1.4    2098176      12.6     2    1     7837      655    1        2"
                  "    36238     9679    2126866     673864    0", (75, 2359, 2359, 75)),
    ("guest4", 4, "--b---         59    0.1     207624    1.2    1741824      10.5     2    1     1377     2512    1        1"
                  "    39733     1242    3007082      64040    0", (0, 623, 623, 0)),
]


def _write(out: Path, files: dict[str, str], links: dict[str, str], commands: list[tuple[list[str], str | None, int, str]],
           recorded: list[str], hostname: str, captured_at: str, calls: dict[str, list[str]] | None = None,
           captured_by: str = "tools/make_seed_snapshots.py (reconstructed, not recorded)") -> None:
    fs = out / "fs"
    for p, text in files.items():
        dest = fs / p.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    for p, target in links.items():
        dest = fs / p.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, dest)
    entries = []
    for argv, stdout, code, stderr in commands:
        slug = "_".join(argv).replace("/", ".")
        if stdout is not None:
            (out / "cmd").mkdir(exist_ok=True)
            (out / "cmd" / slug).write_text(stdout, encoding="utf-8")
        entries.append({"argv": argv, "stdout": f"cmd/{slug}" if stdout is not None else None, "exit": code, "stderr": stderr})
    manifest = {
        "format": "hwcompat-snapshot/1",
        "captured_at": captured_at,
        "captured_by": captured_by,
        "hostname": hostname,
        "recorded": sorted(recorded),
        "commands": entries,
        "stat": {},
    }
    if calls:
        manifest["calls"] = calls
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


#: the other boot loaders' files, recorded as absent: these Debian machines boot with GRUB 2 (inferred)
NO_OTHER_BOOT_LOADER = ["/boot/grub/grub.conf", "/boot/grub/menu.lst", "/boot/loader/entries"]


def _seed_xen(files: dict[str, str], recorded: list[str]) -> list[tuple[list[str], str | None, int, str]]:
    """The seed Dom0's Xen 4.3 evidence."""
    files.update({
        "/sys/hypervisor/type": "xen\n",
        "/sys/hypervisor/version/major": "4\n",
        "/sys/hypervisor/version/minor": "3\n",
        "/sys/hypervisor/version/extra": ".0\n",
        "/sys/hypervisor/properties/capabilities": "xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64\n",
        "/proc/xen/capabilities": "control_d\n",
        "/proc/cmdline": "root=/dev/mapper/x10sae-root ro quiet\n",
        "/proc/swaps": "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n/dev/mapper/x10sae-swap_1               partition\t8384508\t0\t-1\n",
        "/etc/modules": "# /etc/modules: kernel modules to load at boot time.\n#\n# This file contains the names of kernel modules that should be loaded\n"
                        "# at boot time, one per line. Lines beginning with \"#\" are ignored.\n# Parameters can be specified after the module name.\n\nloop\n",
        "/etc/default/grub": (
            "# If you change this file, run 'update-grub' afterwards to update\n# /boot/grub/grub.cfg.\n"
            "# For full documentation of the options in this file, see:\n#   info -f grub -n 'Simple configuration'\n\n"
            "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
            "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n\n"
            "# Xen: cap Dom0 so the rest of the 16 GB is left for the guests, and turn on tmem\n"
            "GRUB_CMDLINE_XEN_DEFAULT=\"dom0_mem=10240M,max:10240M\"\n"
            "GRUB_CMDLINE_XEN_DEFAULT=\"$GRUB_CMDLINE_XEN_DEFAULT tmem\"\n"),
    })
    recorded += ["/sys/hypervisor", "/proc/xen", "/proc/cmdline", "/proc/swaps", "/etc/modules", "/etc/modules-load.d",
                 "/etc/default/grub", "/etc/default/grub.d", *NO_OTHER_BOOT_LOADER]
    info = _xl_info([
        ("host", "x10sae"), ("release", "3.13-1-amd64"), ("version", "#1 SMP Debian 3.13.10-1 (2014-04-15)"), ("machine", "x86_64"),
        ("nr_cpus", "8"), ("max_cpu_id", "7"), ("nr_nodes", "1"), ("cores_per_socket", "4"), ("threads_per_core", "2"),
        ("cpu_mhz", "2494"), ("hw_caps", "bfebfbff:2c100800:00000000:00007f00:77fafbff:00000000:00000021:000027ab"),
        ("virt_caps", "hvm hvm_directio"), ("total_memory", "16261"), ("free_memory", "4041"), ("sharing_freed_memory", "0"),
        ("sharing_used_memory", "0"), ("outstanding_claims", "0"), ("free_cpus", "0"), ("xen_major", "4"), ("xen_minor", "3"),
        ("xen_extra", ".0"), ("xen_caps", "xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64"),
        ("xen_scheduler", "credit"), ("xen_pagesize", "4096"), ("platform_params", "virt_start=0xffff800000000000"),
        ("xen_changeset", ""), ("xen_commandline", "dom0_mem=10240M,max:10240M tmem"),
        ("cc_compiler", "gcc (Debian 4.8.2-21) 4.8.2"), ("cc_compile_by", "pkg-xen-devel"),
        ("cc_compile_domain", "lists.alioth.debian.org"), ("cc_compile_date", "Sun Jun  8 10:42:08 UTC 2014"),
        ("xend_config_format", "4"),
    ])
    xl_list = _xl_list([(n, i, int(row.split()[3]) // 1024, int(row.split()[7]), "r-----" if i == 0 else "-b----",
                         float(row.split()[1]) + 0.3) for n, i, row, _ in SEED_DOMAINS])
    xentop = ("xentop - 17:04:20   Xen 4.3.0\n5 domains: 1 running, 4 blocked, 0 paused, 0 crashed, 0 dying, 0 shutdown \n"
              "Mem: 16651980k total, 12513168k used, 4138812k free, 38912k freeable, CPUs: 8 @ 2494MHz\n" + XENTOP_HEAD
              + "".join(f"{n:>10} {row}\n" for n, _, row, _ in SEED_DOMAINS))
    tmem = ""
    for _, i, _, t in SEED_DOMAINS:
        if t is None:
            continue
        ge, pp, gp, _eph = t
        tmem += f"C=CI:{i},ww:0,ca:0,co:0,fr:0,Tc:{pp * 1850},Ge:{ge},Pp:{pp},Gp:{gp}\n"
        tmem += f"P=CI:{i},PI:0,PT:PP,U0:0,U1:0\nP=CI:{i},PI:1,PT:EP,U0:0,U1:0\n"
    tmem += "G=Tt:586455,Te:0,Cf:0,Af:0,Pf:0,Ta:9,Lm:0,Et:0,Ea:0,Rt:0,Ra:0,Rx:0,Fp:0\n"
    return [(["xl", "info"], info, 0, ""), (["xl", "list"], xl_list, 0, ""), (["xentop", "-b", "-i", "1", "-f"], xentop, 0, ""),
            (["xl", "tmem-list", "-a"], tmem, 0, "")]


def build(out: Path, modern: bool) -> None:
    """Write one snapshot directory."""
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
    if modern:
        recorded += ["/sys/hypervisor", "/proc/xen"]  # bare metal: recorded, and absent
    commands = [] if modern else _seed_xen(files, recorded)
    cpuid = sorted(CPUID_FLAGS.split() + ([] if modern else ["hle", "rtm"]))
    _write(out, files, links, commands, recorded, "x10sae", "2026-11-26T00:00:00Z" if modern else "2014-09-02T10:00:00Z",
           {"cpuid_flags": cpuid})


def build_guest(out: Path) -> None:
    """The seed's tmem guest: Linux 3.13 with a custom -tmem kernel, swap, tmem loaded (section 2)."""
    release = "3.13.10-tmem"
    config = "\n".join([
        "# Linux/x86 3.13.10 Kernel Configuration (abridged: the options hwcompat reads)",
        "CONFIG_LOCALVERSION=\"-tmem\"", "CONFIG_SWAP=y", "CONFIG_XEN=y", "CONFIG_XEN_PVHVM=y", "CONFIG_XEN_BALLOON=y",
        "CONFIG_XEN_SELFBALLOONING=y", "CONFIG_CLEANCACHE=y", "CONFIG_FRONTSWAP=y", "CONFIG_XEN_TMEM=m",
        "# CONFIG_ZSWAP is not set", "CONFIG_XEN_BLKDEV_FRONTEND=m", "CONFIG_XEN_NETDEV_FRONTEND=m", "",
    ])
    modules = [("tmem", 17783, ""), ("xen_netfront", 26622, ""), ("xen_blkfront", 26743, ""), ("ext4", 479036, ""),
               ("jbd2", 94098, "ext4"), ("mbcache", 17171, "ext4"), ("crc16", 12343, "ext4")]
    files = {
        "/proc/sys/kernel/hostname": "guest1\n",
        "/proc/sys/kernel/osrelease": release + "\n",
        "/proc/cmdline": "root=UUID=6d9e7c21-3c4b-4d6e-9a55-2f1b8f0c6a10 ro quiet tmem\n",
        "/proc/meminfo": "MemTotal:        2032916 kB\nMemFree:           61244 kB\n",
        "/proc/modules": _modules(modules),
        "/proc/swaps": "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n/dev/xvda2                              partition\t524284\t81232\t-1\n",
        "/proc/xen/capabilities": "",
        "/sys/hypervisor/type": "xen\n",
        "/sys/hypervisor/version/major": "4\n",
        "/sys/hypervisor/version/minor": "3\n",
        "/sys/hypervisor/version/extra": ".0\n",
        f"/boot/config-{release}": config,
        f"/lib/modules/{release}/modules.builtin": "kernel/drivers/xen/xen-balloon.ko\nkernel/drivers/xen/xen-selfballoon.ko\n",
        f"/lib/modules/{release}/modules.dep": "kernel/drivers/xen/tmem.ko:\nkernel/drivers/net/xen-netfront.ko:\nkernel/drivers/block/xen-blkfront.ko:\n",
        "/etc/modules": "# /etc/modules: kernel modules to load at boot time.\n\nloop\ntmem\n",
        "/etc/default/grub": "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"tmem\"\n",
        "/sys/module/tmem/parameters/cleancache": "Y\n",
        "/sys/module/tmem/parameters/frontswap": "Y\n",
        "/sys/module/tmem/parameters/selfballooning": "Y\n",
        "/sys/module/tmem/parameters/selfshrinking": "Y\n",
        "/sys/devices/system/xen_memory/xen_memory0/selfballoon/selfballooning": "1\n",
        "/sys/devices/system/xen_memory/xen_memory0/selfballoon/selfballoon_interval": "5\n",
        "/sys/kernel/debug/frontswap/succ_stores": "463995\n",
    }
    recorded = ["/proc/sys/kernel", "/proc/cmdline", "/proc/meminfo", "/proc/modules", "/proc/swaps", "/proc/xen", "/sys/hypervisor",
                f"/boot/config-{release}", f"/lib/modules/{release}", "/etc/modules", "/etc/modules-load.d", "/etc/default/grub",
                "/etc/default/grub.d", "/sys/module/tmem", "/sys/devices/system/xen_memory", "/sys/kernel/debug/frontswap", "/sys/bus/pci",
                *NO_OTHER_BOOT_LOADER]
    _write(out, files, {}, [(["xl", "info"], None, 127, "xl: not installed")], recorded, "guest1", "2014-09-02T10:00:00Z")


def build_debian12_dom0(out: Path) -> None:
    """A current Debian 12 Dom0: Xen 4.17, Linux 6.1, one guest, no tmem anywhere."""
    release = "6.1.0-18-amd64"
    files = {
        "/proc/sys/kernel/hostname": "bookworm-dom0\n",
        "/proc/sys/kernel/osrelease": release + "\n",
        "/proc/cmdline": "placeholder root=/dev/mapper/vg0-root ro quiet\n",
        "/proc/modules": _modules([("xen_netback", 65536, ""), ("xen_blkback", 53248, ""), ("xen_gntdev", 45056, ""),
                                   ("xen_gntalloc", 20480, ""), ("xen_evtchn", 16384, ""), ("xenfs", 16384, ""),
                                   ("xen_privcmd", 28672, "xenfs")]),
        "/proc/swaps": "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n/dev/dm-1                               partition\t999420\t0\t-2\n",
        "/proc/xen/capabilities": "control_d\n",
        "/sys/hypervisor/type": "xen\n",
        "/sys/hypervisor/version/major": "4\n",
        "/sys/hypervisor/version/minor": "17\n",
        "/sys/hypervisor/version/extra": ".3\n",
        "/etc/modules": "# /etc/modules: kernel modules to load at boot time.\n",
        "/etc/default/grub": "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
                             "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n",
        "/etc/default/grub.d/xen.cfg": "########\n# Xen #\n########\n\necho \"Including Xen overrides from /etc/default/grub.d/xen.cfg\"\n\n"
                                       "GRUB_CMDLINE_XEN_DEFAULT=\"dom0_mem=4096M,max:4096M\"\n",
    }
    recorded = ["/proc/sys/kernel", "/proc/cmdline", "/proc/modules", "/proc/swaps", "/proc/xen", "/sys/hypervisor", "/etc/modules",
                "/etc/modules-load.d", "/etc/default/grub", "/etc/default/grub.d", f"/boot/config-{release}", "/proc/config.gz",
                *NO_OTHER_BOOT_LOADER]
    info = _xl_info([
        ("host", "bookworm-dom0"), ("release", release), ("version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"),
        ("machine", "x86_64"), ("nr_cpus", "8"), ("max_cpu_id", "7"), ("nr_nodes", "1"), ("cores_per_socket", "4"),
        ("threads_per_core", "2"), ("cpu_mhz", "2494.226"),
        ("hw_caps", "bfebfbff:77fafbff:2c100800:00000121:0000000f:000027ab:00000000:00000100"),
        ("virt_caps", "pv hvm hvm_directio pv_directio hap shadow gnttab-v1 gnttab-v2"), ("total_memory", "16261"),
        ("free_memory", "9874"), ("sharing_freed_memory", "0"), ("sharing_used_memory", "0"), ("outstanding_claims", "0"),
        ("free_cpus", "0"), ("xen_major", "4"), ("xen_minor", "17"), ("xen_extra", ".3"), ("xen_version", "4.17.3"),
        ("xen_caps", "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64"), ("xen_scheduler", "credit2"),
        ("xen_pagesize", "4096"), ("platform_params", "virt_start=0xffff800000000000"), ("xen_changeset", ""),
        ("xen_commandline", "placeholder dom0_mem=4096M,max:4096M no-real-mode edd=off"),
        ("cc_compiler", "x86_64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0"), ("cc_compile_by", "pkg-xen-devel"),
        ("cc_compile_domain", "lists.alioth.debian.org"), ("cc_compile_date", "Tue Jan 30 10:52:11 UTC 2024"),
        ("build_id", "4a0a6bb6b2e4d5f1c8c1e7d5bf6d0e4b8f6a1c2d"), ("xend_config_format", "4"),
    ])
    xl_list = _xl_list([("Domain-0", 0, 4096, 8, "r-----", 1520.4), ("web", 1, 2048, 2, "-b----", 311.9)])
    xentop = ("xentop - 10:12:55   Xen 4.17.3\n2 domains: 1 running, 1 blocked, 0 paused, 0 crashed, 0 dying, 0 shutdown \n"
              "Mem: 16651980k total, 6540000k used, 10111980k free    CPUs: 8 @ 2494MHz\n" + XENTOP_HEAD
              + "  Domain-0 -----r       1520    2.1    4194304   25.2    4194304      25.2     8    0        0        0    0        0"
                "        0        0          0          0    0\n"
              + "       web --b---        311    0.4    2097152   12.6    2098176      12.6     2    1   811203   254101    1        0"
                "    18233     9921     881402     406233    0\n")
    commands = [(["xl", "info"], info, 0, ""), (["xl", "list"], xl_list, 0, ""), (["xentop", "-b", "-i", "1", "-f"], xentop, 0, "")]
    _write(out, files, {}, commands, recorded, "bookworm-dom0", "2026-11-26T00:00:00Z")


def _j(data: object) -> str:
    return json.dumps(data, separators=(",", ":")) + "\n"


def build_gateway(out: Path, fixed: bool, bridge: bool = True) -> None:
    """The seed gateway (section 3) on a current Debian; ``fixed`` adds the leak guard to table 3.

    ``bridge``: VLAN 6 arrives on the bridge br6 (eth0.6 its port), as on the seed; without it the
    VLAN interface eth0.6 carries the gateway's VLAN address itself (a gateway with no guests).
    """
    vlan = "br6" if bridge else "eth0.6"
    links = [
        {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "mtu": 65536, "operstate": "UNKNOWN", "link_type": "loopback"},
        {"ifindex": 2, "ifname": "eth0", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500, "operstate": "UP",
         "link_type": "ether", "address": "52:54:00:12:34:56"},
        {"ifindex": 3, "link": "eth0", "ifname": "eth0.6", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500,
         "master": "br6", "operstate": "UP", "link_type": "ether", "address": "52:54:00:12:34:56",
         "linkinfo": {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": 6, "flags": ["REORDER_HDR"]},
                      "info_slave_kind": "bridge", "info_slave_data": {"state": "forwarding", "priority": 32, "cost": 4}}},
        {"ifindex": 4, "ifname": "br6", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500, "operstate": "UP",
         "link_type": "ether", "address": "52:54:00:12:34:56", "linkinfo": {"info_kind": "bridge", "info_data": {"stp_state": 0}}},
        {"ifindex": 5, "ifname": "tun-hma", "flags": ["POINTOPOINT", "MULTICAST", "NOARP", "UP", "LOWER_UP"], "mtu": 1500,
         "operstate": "UNKNOWN", "link_type": "none",
         "linkinfo": {"info_kind": "tun", "info_data": {"type": "tun", "pi": False, "vnet_hdr": False, "multi_queue": False, "persist": False}}},
    ]
    def addr(name: str, local: str, plen: int, peer: str | None = None) -> dict[str, object]:
        info: dict[str, object] = {"family": "inet", "local": local, "prefixlen": plen, "scope": "global", "label": name}
        if peer:
            info["address"] = peer
        return {"ifname": name, "addr_info": [info]}
    if not bridge:
        links = [link for link in links if link["ifname"] != "br6"]
        port = next(link for link in links if link["ifname"] == "eth0.6")
        del port["master"]
        port["linkinfo"] = {k: v for k, v in port["linkinfo"].items() if not k.startswith("info_slave")}  # type: ignore[attr-defined]
    addrs = [addr("lo", "127.0.0.1", 8), addr("eth0", "192.168.1.2", 24)]
    addrs += [{"ifname": "eth0.6", "addr_info": []}, addr("br6", "192.168.6.1", 24)] if bridge else [addr("eth0.6", "192.168.6.1", 24)]
    addrs += [addr("tun-hma", "10.200.0.6", 32, "10.200.0.5")]
    rules = [{"priority": 0, "src": "all", "table": "local"},
             {"priority": 200, "src": "192.168.6.1", "srclen": 24, "dst": "192.168.1.1", "dstlen": 16, "table": "main"},
             {"priority": 201, "src": "192.168.6.1", "srclen": 24, "table": "3"},
             {"priority": 32766, "src": "all", "table": "main"}, {"priority": 32767, "src": "all", "table": "default"}]
    routes = [{"dst": "default", "dev": "tun-hma", "table": "3", "scope": "link", "flags": []}]
    if fixed:
        routes.append({"type": "unreachable", "dst": "default", "table": "3", "metric": 4278198272, "flags": []})
    routes += [
        {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0", "flags": ["onlink"]},
        {"dst": "10.200.0.5", "dev": "tun-hma", "protocol": "kernel", "scope": "link", "prefsrc": "10.200.0.6", "flags": []},
        {"dst": "192.168.1.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link", "prefsrc": "192.168.1.2", "flags": []},
        {"dst": "192.168.6.0/24", "dev": vlan, "protocol": "kernel", "scope": "link", "prefsrc": "192.168.6.1", "flags": []},
    ]
    for name, local in (("tun-hma", "10.200.0.6"), ("eth0", "192.168.1.2"), (vlan, "192.168.6.1"), ("lo", "127.0.0.1")):
        routes.append({"type": "local", "dst": local, "dev": name, "table": "local", "protocol": "kernel", "scope": "host",
                       "prefsrc": local, "flags": []})
    routes += [{"type": "local", "dst": "127.0.0.0/8", "dev": "lo", "table": "local", "protocol": "kernel", "scope": "host",
                "prefsrc": "127.0.0.1", "flags": []},
               {"type": "broadcast", "dst": "192.168.1.255", "dev": "eth0", "table": "local", "protocol": "kernel", "scope": "link",
                "prefsrc": "192.168.1.2", "flags": []},
               {"type": "broadcast", "dst": "192.168.6.255", "dev": vlan, "table": "local", "protocol": "kernel", "scope": "link",
                "prefsrc": "192.168.6.1", "flags": []}]
    ipt = ("# Generated by iptables-save v1.8.9 (nf_tables) on Tue Sep  2 10:00:00 2014\n*nat\n:PREROUTING ACCEPT [0:0]\n"
           ":INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o tun-hma -j MASQUERADE\nCOMMIT\n"
           "# Completed on Tue Sep  2 10:00:00 2014\n")
    nft = _j({"nftables": [
        {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
        {"table": {"family": "ip", "name": "nat", "handle": 1}},
        {"chain": {"family": "ip", "table": "nat", "name": "POSTROUTING", "handle": 4, "type": "nat", "hook": "postrouting",
                   "prio": 100, "policy": "accept"}},
        {"rule": {"family": "ip", "table": "nat", "chain": "POSTROUTING", "handle": 5, "expr": [
            {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "tun-hma"}},
            {"counter": {"packets": 0, "bytes": 0}}, {"xt": {"type": "target", "name": "MASQUERADE"}}]}}]})
    ovpn = ("client\ndev tun-hma\nproto udp\nremote vpn.example.invalid 553\nresolv-retry infinite\nnobind\npersist-key\npersist-tun\n"
            "ca /etc/openvpn/hma-ca.crt\nverb 3\n# the tunnel only carries VLAN 6: do not let the server set routes\n"
            "#route-metric 1\nroute-noexec\nauth-user-pass /etc/openvpn/hma.pass\n")
    files = {"/proc/sys/kernel/hostname": "gateway\n", "/proc/sys/kernel/osrelease": "6.1.0-18-amd64\n",
             "/proc/sys/net/ipv4/ip_forward": "1\n", "/etc/openvpn/hma.conf": ovpn,
             "/etc/iproute2/rt_tables": "#\n# reserved values\n#\n255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n#\n# local\n#\n#1\tinr.ruhep\n"}
    for name, value in (("all", 0), ("default", 2), ("lo", 0), ("eth0", 2), ("eth0.6", 2), ("br6", 2), ("tun-hma", 2)):
        if name == "br6" and not bridge:
            continue
        files[f"/proc/sys/net/ipv4/conf/{name}/rp_filter"] = f"{value}\n"
    recorded = ["/proc/sys/kernel", "/proc/sys/net/ipv4", "/etc/openvpn", "/etc/iproute2"]
    commands: list[tuple[list[str], str | None, int, str]] = [
        (["ip", "-d", "-j", "link", "show"], _j(links), 0, ""), (["ip", "-j", "addr", "show"], _j(addrs), 0, ""),
        (["ip", "-j", "rule", "show"], _j(rules), 0, ""), (["ip", "-j", "route", "show", "table", "all"], _j(routes), 0, ""),
        (["iptables-legacy-save", "-t", "nat"], "", 0, ""),
        (["iptables-nft-save", "-t", "nat"], ipt, 0, ""), (["nft", "-j", "list", "ruleset"], nft, 0, ""),
    ]
    _write(out, files, {}, commands, recorded, "gateway", "2026-11-26T00:00:00Z")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["stat"] = {"/etc/openvpn/hma.pass": {"type": "file", "mode": "0600", "uid": 0, "gid": 0, "size": 24}}
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
    builders = {SEED: lambda o: build(o, False), MODERN: lambda o: build(o, True), GUEST: build_guest, DEBIAN12: build_debian12_dom0,
                GATEWAY: lambda o: build_gateway(o, False), GATEWAY_FIXED: lambda o: build_gateway(o, True),
                GATEWAY_VLAN: lambda o: build_gateway(o, True, bridge=False)}
    for target, builder in builders.items():
        if not refresh(target, builder, args.check, "tools/make_seed_snapshots.py"):
            return 1
    return 0


def refresh(target: Path, builder: Callable[[Path], object], check: bool, source: str) -> bool:
    """Build a snapshot afresh and write it over ``target`` (its README kept), or with ``check`` only compare.

    Returns False (after saying so) when checking finds the committed snapshot different.
    """
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / target.name
        fresh.mkdir()
        builder(fresh)
        if check:
            if target.is_dir() and _same(fresh, target):
                return True
            print(f"{target.relative_to(ROOT)} differs from {source}", file=sys.stderr)
            return False
        keep = target / "README.md"
        readme = keep.read_text(encoding="utf-8") if keep.exists() else None
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(fresh, target, symlinks=True)
        if readme is not None:
            keep.write_text(readme, encoding="utf-8")
        return True


if __name__ == "__main__":
    sys.exit(main())
