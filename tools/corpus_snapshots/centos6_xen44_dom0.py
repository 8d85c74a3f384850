"""snapshots/centos6-xen44-dom0: a CentOS 6.7 Xen4CentOS Dom0 (Xen 4.4.3, Linux 3.18) booting with GRUB legacy.

The published parts (bbotte.com, March 2016, one machine; selftests/data/corpus/SOURCES.md) are
copied as published, with ``tmem`` added to the hypervisor's command line in both places that
carry it; the rest is filled in as snapshots/centos6-xen44-dom0/README.md says.
"""

from __future__ import annotations

from pathlib import Path

from make_corpus_snapshots import corpus, write

GRUB_CONF = "grub_legacy/bbotte--centos6-xen4centos-grub.conf.txt"
XL_INFO = "xl_info/bbotte--centos6-xen-4.4.3-12.el6-xl-info.txt"
XL_LIST = "xl_list/bbotte--centos6-xen-4.4-xm-list-dom0-and-guest.txt"
XENTOP_LAYOUT = "xentop/ubuntuforums--xm-top-xen-4.1.2-precise.txt"
XEN_ARGS = "dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all"
RELEASE = "3.18.25-19.el6.x86_64"
TOTAL_KB = 1663 * 1024  # xl info total_memory


def _with_tmem(text: str) -> str:
    """The published text with ``tmem`` after the hypervisor's arguments (once)."""
    assert text.count(XEN_ARGS) == 1
    return text.replace(XEN_ARGS, XEN_ARGS + " tmem")


def _dom0_cmdline(grub_conf: str) -> str:
    """What /proc/cmdline shows for the default entry's Dom0 module: its arguments after the file name."""
    module = next(line for line in grub_conf.splitlines() if line.strip().startswith(f"module /vmlinuz-{RELEASE}"))
    return module.strip().split(" ", 2)[2] + "\n"


def _xentop() -> str:
    """The output of `xentop -b -i 1 -f` for the two domains of the published xm list, in the published 4.x layout."""
    header = next(line for line in corpus(XENTOP_LAYOUT).splitlines() if line.lstrip().startswith("NAME"))
    rows = [("Domain-0", "-----r", 64, 1.2, 1048576, 1048576, 4, 0, 0, 0, 0),
            ("bbotte_1", "--b---", 9, 0.1, 524288, 524288 + 1024, 2, 1, 1412, 28761, 1)]
    out = ["xentop - 10:41:07   Xen 4.4.3-12.el6",
           "2 domains: 1 running, 1 blocked, 0 paused, 0 crashed, 0 dying, 0 shutdown",
           f"Mem: {TOTAL_KB}k total, {TOTAL_KB - 617 * 1024}k used, {617 * 1024}k free    CPUs: 4 @ 3191MHz", header]
    for name, state, cpu, pct, mem, maxmem, vcpus, nets, tx, rx, vbds in rows:
        rd, wr = (8123, 2976) if vbds else (0, 0)
        out.append(f"{name:>10} {state:6} {cpu:10d} {pct:6.1f} {mem:10d} {mem * 100 / TOTAL_KB:6.1f} {maxmem:10d} "
                   f"{maxmem * 100 / TOTAL_KB:9.1f} {vcpus:5d} {nets:4d} {tx:8d} {rx:8d} {vbds:4d} {0:8d} {rd:8d} {wr:8d} "
                   f"{rd * 8:10d} {wr * 8:10d} {0:4d}")
    return "\n".join(out) + "\n"


def build(out: Path) -> None:
    """Write the snapshot into ``out``."""
    grub_conf = _with_tmem(corpus(GRUB_CONF))
    xl_list = "".join(line + "\n" for line in corpus(XL_LIST).splitlines() if not line.startswith("WARNING:"))
    modules = "".join(f"{name} {size} {used} {by} Live 0xffffffffa{n:03x}0000\n" for n, (name, size, used, by) in enumerate([
        ("xen_netback", 57344, 0, "-"), ("xen_blkback", 40960, 0, "-"), ("xen_gntdev", 20480, 1, "-"), ("xen_evtchn", 16384, 1, "-"),
        ("xenfs", 16384, 1, "-"), ("xen_privcmd", 20480, 4, "-"), ("bridge", 122880, 0, "-"), ("stp", 16384, 1, "bridge,"),
        ("llc", 16384, 2, "bridge,stp,")]))
    files = {
        "/proc/sys/kernel/osrelease": RELEASE + "\n",
        "/proc/sys/kernel/hostname": "localhost.localdomain\n",
        "/proc/cmdline": _dom0_cmdline(grub_conf),
        "/proc/modules": modules,
        "/proc/xen/capabilities": "control_d\n",
        "/sys/hypervisor/type": "xen\n",
        "/sys/hypervisor/version/major": "4\n",
        "/sys/hypervisor/version/minor": "4\n",
        "/sys/hypervisor/version/extra": ".3-12.el6\n",
        "/boot/grub/grub.conf": grub_conf,
    }
    commands: list[tuple[list[str], str | None, int, str]] = [
        (["xl", "info"], _with_tmem(corpus(XL_INFO)), 0, ""),
        (["xl", "list"], xl_list, 0, ""),
        (["xentop", "-b", "-i", "1", "-f"], _xentop(), 0, ""),
    ]
    recorded = ["/proc/sys/kernel", "/proc/cmdline", "/proc/modules", "/proc/xen", "/sys/hypervisor", "/boot/grub/grub.conf",
                "/boot/grub/menu.lst",
                "/boot/loader/entries", "/etc/default/grub", "/etc/default/grub.d"]
    write(out, files, commands, recorded, "localhost.localdomain", links={"/boot/grub/menu.lst": "./grub.conf"})
