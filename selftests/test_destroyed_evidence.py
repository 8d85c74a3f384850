"""Destroyed evidence never passes: every recorded file, link and command output of every bundled
snapshot is emptied, filled with binary, dropped and cut in the middle of a line, one at a time,
and no item that depends on it may pass (nor may any item that failed before).

``CONSUMERS`` says, per snapshot, which items depend on which evidence; every entry of every bundled
snapshot must be named there (with no consumer where nothing depends on it), so a new file in a
snapshot cannot slip past this test. Files written by people (/etc, /lib/modules by depmod) can be
cut at a line end and still be true, so a cut in them is only required not to create a pass.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

import pytest

from hwcompat.checks.pci import matching
from hwcompat.facts.cache import FactCache
from hwcompat.plan import evaluate
from hwcompat.profile import loader
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import REPO

SNAPSHOTS = {
    "x10sae-xen-dom0": "hosts/x10sae-xen-dom0",
    "xen-guest-tmem": "hosts/xen-guest-tmem",
    "debian12-xen-dom0": "roles/xen-dom0",
    "vpn-gateway": "hosts/vpn-gateway",
    "vpn-gateway-fixed": "hosts/vpn-gateway",
    "x10sae-core-i5": "boards/supermicro-x10sae",
    "x10sae-xeon-radeon": "boards/supermicro-x10sae",
    "x10slm-f": "boards/supermicro-x10slm-f",
    "vpn-gateway-vlan": "hosts/vpn-gateway-vlan",
    "docker-host-nat": "hosts/docker-host-nat",
    "centos6-xen44-dom0": "hosts/centos6-xen44-dom0",
    "wg-quick-fulltunnel": "hosts/wg-quick-fulltunnel",
    "ubuntu1804-gateway": "hosts/ubuntu1804-gateway",
    "iproute2-3.10-gateway": "hosts/iproute2-3.10-gateway",
}
MUTATIONS = ("empty", "binary", "drop", "cut")
NOTHING = ""  # a piece of evidence no item depends on (shown in the report only, or unused by the profile)

#: snapshot -> [(entry regex, item regex[, mutations that leave a state a real machine has])]: the items that depend
#: on an entry (first matching row wins)
GATEWAY = [
    (r"fs/etc/openvpn/hma\.conf", r"test_network_openvpn"),
    (r"fs/etc/iproute2/rt_tables", NOTHING),  # the profile names its tables by number
    (r"fs/proc/sys/kernel/(hostname|osrelease)", NOTHING),
    (r"fs/proc/sys/net/ipv4/ip_forward", r"test_network_(forwarding|path|no_leak)"),
    (r"fs/proc/sys/net/ipv4/conf/(all|br6|tun-hma|eth0|eth0.6)/rp_filter", r"test_network_(rp_filter|path)"),
    (r"fs/proc/sys/net/ipv4/conf/.*", NOTHING),
    (r"cmd/ip_-d_-j_link_show", r"test_network_interface"),
    (r"cmd/ip_-j_addr_show", r"test_network_interface\[(vlan|eth0)\]"),
    (r"cmd/ip_-j_rule_show", r"test_network_(rule|path|no_leak)"),
    (r"cmd/ip_-j_route_show_table_all", r"test_network_(route|path|no_leak)"),
    # the kernel walks every NAT table, so one that cannot be read leaves the verdict open; an empty iptables-*-save is a
    # machine without such tables
    (r"cmd/(iptables-.*|nft_.*)", r"test_network_nat", "empty"),
]
def router(addressed: str, text_only: bool = False) -> list[tuple[str, ...]]:
    """The routing snapshots without NAT or OpenVPN: JSON, text under -j (4.15), or text only (3.10, whose -j answers are refusals).

    :param addressed: the interfaces whose items check addresses (the others do not read ip addr)
    """
    refused = [(r"cmd/ip_(-d_)?-j_.*", NOTHING)] if text_only else []  # 'Option "-j" is unknown': stdout is never read
    return [*refused,
            (r"fs/etc/iproute2/rt_tables", NOTHING),
            (r"fs/proc/sys/kernel/(hostname|osrelease)", NOTHING),
            (r"fs/proc/sys/net/ipv4/ip_forward", r"test_network_(forwarding|path|no_leak)"),
            (r"fs/proc/sys/net/ipv4/conf/.*/rp_filter", r"test_network_(rp_filter|path|no_leak)"),
            (r"fs/proc/sys/net/ipv4/conf/.*", NOTHING),
            (r"cmd/ip_-d_-j_link_show|cmd/ip_-d_link_show", r"test_network_interface"),
            (r"cmd/ip_-j_addr_show|cmd/ip_addr_show", rf"test_network_interface\[({addressed})\]"),
            (r"cmd/ip_-j_rule_show|cmd/ip_rule_show", r"test_network_(rule|path|no_leak)"),
            (r"cmd/ip_-j_route_show_table_all|cmd/ip_route_show_table_all", r"test_network_(route|path|no_leak)")]


PUBLISHED_BOARD = [  # the snapshots built from published lspci listings: PCI and DMI only
    (r"fs/sys/(bus|devices)/pci.*", "PCI"),
    (r"fs/sys/class/dmi/id/(?P<name>board_vendor|board_name)", r"test_dmi_property\[{name}\]"),
    (r"fs/sys/class/dmi/id/.*|fs/proc/sys/kernel/.*", NOTHING),
]
CONSUMERS: dict[str, list[tuple[str, ...]]] = {
    "x10sae-xen-dom0": [
        (r"fs/sys/devices/pci.*/uevent", NOTHING),  # hwcompat reads the attributes, not uevent
        (r"fs/sys/(bus|devices)/pci.*", "PCI"),  # worked out per device below
        (r"fs/proc/cpuinfo", r"test_cpu_"),
        (r"fs/proc/meminfo", r"test_memory_property"),
        (r"fs/proc/modules", r"test_kernel_module"),
        (r"fs/proc/sys/kernel/osrelease", r"test_kernel_release|test_kernel_module\[kvm_intel\]"),
        (r"fs/proc/sys/kernel/hostname|fs/etc/modules|fs/proc/cmdline|fs/proc/swaps", NOTHING),
        (r"fs/lib/modules/.*/modules\.builtin", r"test_kernel_module\[kvm_intel\]"),
        (r"fs/lib/modules/.*/modules\.dep", NOTHING),  # no module is asked to be available or absent
        (r"fs/sys/class/dmi/id/(?P<name>board_vendor|board_name)", r"test_dmi_property\[{name}\]"),
        (r"fs/sys/class/dmi/id/.*", NOTHING),
        (r"fs/sys/hypervisor/type", r"test_xen_property\[role\]|test_tmem_supported"),
        (r"fs/sys/hypervisor/version/.*|fs/sys/hypervisor/(properties|compilation)/.*|fs/sys/hypervisor/uuid", NOTHING),  # xl info says the version too
        (r"fs/proc/xen/capabilities", r"test_xen_property\[role\]|test_tmem_supported"),
        (r"fs/etc/default/grub", r"test_xen_cmdline|test_tmem_xen_cmdline"),
        (r"cmd/xl_info", r"test_xen_cmdline|test_tmem_xen_cmdline|test_xen_property\[guest_memory_overcommit\]"),
        (r"cmd/xl_list", r"test_xen_property\[(dom0_memory_mb|guest_memory_overcommit)\]"),
        (r"cmd/xentop_.*", r"test_xen_property\[guest_memory_overcommit\]"),
        (r"cmd/xl_tmem-list_-a", r"test_tmem_activity"),
    ],
    "xen-guest-tmem": [
        (r"fs/boot/config-.*", r"test_tmem_config"),
        (r"fs/proc/modules", r"test_tmem_module"),
        (r"fs/proc/swaps", r"test_tmem_swap"),
        (r"fs/proc/cmdline", r"test_kernel_cmdline"),
        (r"fs/proc/meminfo", NOTHING),
        (r"fs/proc/sys/kernel/osrelease", r"test_kernel_release|test_tmem_"),
        (r"fs/proc/sys/kernel/hostname", NOTHING),
        (r"fs/proc/xen/capabilities", r"test_tmem_supported", "empty cut"),  # a guest's is empty: cut or emptied, it still is
        (r"fs/sys/hypervisor/type", r"test_tmem_supported"),
        (r"fs/sys/hypervisor/version/extra", r"test_xen_property\[version\]", "empty"),  # a Xen built without an extra version
        (r"fs/sys/hypervisor/version/.*", r"test_xen_property\[version\]"),
        (r"fs/etc/default/grub", r"test_kernel_cmdline"),
        (r"fs/etc/modules", r"test_tmem_module"),
        (r"fs/lib/modules/.*", NOTHING),
        (r"fs/sys/module/tmem/parameters/(?P<name>\w+)", r"test_tmem_param\[{name}\]"),
        (r"fs/sys/devices/system/xen_memory/xen_memory0/selfballoon/selfballooning", r"test_tmem_selfballooning"),
        (r"fs/sys/devices/system/xen_memory/.*", NOTHING),
        (r"fs/sys/kernel/debug/frontswap/succ_stores", NOTHING),  # only quoted in the swap item's message
        (r"cmd/.*", NOTHING),
    ],
    "debian12-xen-dom0": [
        (r"fs/proc/modules", r"test_kernel_module"),
        (r"fs/sys/hypervisor/type|fs/proc/xen/capabilities", r"test_xen_property\[role\]"),
        (r"fs/sys/hypervisor/version/.*", NOTHING),  # xl info says the version too
        (r"fs/proc/sys/kernel/.*|fs/proc/cmdline|fs/proc/meminfo|fs/proc/swaps|fs/lib/modules/.*|fs/etc/.*", NOTHING),
        (r"cmd/.*", NOTHING),  # roles/xen-dom0 asks nothing of xl
    ],
    "centos6-xen44-dom0": [
        # a person's file may end anywhere (the default entry comes first); without menu.lst GRUB reads grub.conf
        (r"fs/boot/grub/grub\.conf", r"test_xen_cmdline|test_kernel_cmdline", "cut"),
        (r"fs/boot/grub/menu\.lst", r"test_xen_cmdline|test_kernel_cmdline", "cut drop"),
        (r"fs/proc/cmdline", r"test_kernel_cmdline"),
        (r"fs/proc/modules", r"test_kernel_module"),
        (r"fs/proc/sys/kernel/osrelease", r"test_kernel_release"),
        (r"fs/sys/hypervisor/type|fs/proc/xen/capabilities", r"test_xen_property\[role\]"),
        (r"fs/proc/sys/kernel/hostname|fs/sys/hypervisor/version/.*", NOTHING),  # xl info says the version too
        (r"cmd/xl_info", r"test_xen_cmdline|test_xen_property\[guest_memory_overcommit\]"),
        (r"cmd/xl_list", r"test_xen_property\[(dom0_memory_mb|guest_memory_overcommit)\]"),
        (r"cmd/xentop_.*", r"test_xen_property\[guest_memory_overcommit\]"),
    ],
    "vpn-gateway": GATEWAY,
    "vpn-gateway-fixed": GATEWAY,
    "x10sae-core-i5": PUBLISHED_BOARD,
    "x10sae-xeon-radeon": PUBLISHED_BOARD,
    "x10slm-f": PUBLISHED_BOARD,
    "vpn-gateway-vlan": GATEWAY,
    "wg-quick-fulltunnel": router("wg0|enp1s0"),
    "ubuntu1804-gateway": router("enp0s8|enp0s3"),
    "iproute2-3.10-gateway": router("br6|eth0", text_only=True),
    "docker-host-nat": [
        (r"fs/proc/net/ip_tables_names", NOTHING),  # only says whether to ask: the listing itself is the evidence
        (r"fs/proc/sys/kernel/osrelease|cmd/iptables-save_-t_nat", r"test_network_nat"),
    ],
}
WRITTEN_BY_PEOPLE = re.compile(r"fs/etc/|fs/lib/modules/")


def _entries(source: SnapshotSource) -> list[tuple[str, str]]:
    """Every piece of evidence: (relative path, file | link | cmd)."""
    out = []
    for rel, node in sorted(source._tree.nodes.items()):
        if rel.startswith("fs/") and node.kind in ("file", "link"):
            out.append((rel, node.kind))
        elif rel.startswith("cmd/") and node.kind == "file":
            out.append((rel, "cmd"))
    return out


def _mutated(base: SnapshotSource, rel: str, kind: str, how: str) -> SnapshotSource:
    src = copy.copy(base)
    tree = src._tree = copy.copy(base._tree)
    tree.nodes, tree.data = dict(base._tree.nodes), dict(base._tree.data)
    tree.kids = {k: set(v) for k, v in base._tree.kids.items()}
    src._commands = {argv: dict(c) for argv, c in base._commands.items()}
    if kind == "cmd" and how == "drop":
        for cmd in src._commands.values():
            if cmd["stdout"] == rel:
                cmd.update(stdout=None, exit=1, stderr="gone")
    elif how == "drop":
        del tree.nodes[rel]
        parent, _, name = rel.rpartition("/")
        tree.kids[parent].discard(name)
    elif kind == "link":
        tree.nodes[rel] = type(tree.nodes[rel])("link", "" if how == "empty" else "\x00\x01\x02" if how == "binary" else tree.nodes[rel].target[:3])
    else:
        data = tree.data[rel]
        if how == "empty":
            tree.data[rel] = b""
        elif how == "binary":
            tree.data[rel] = bytes(range(256))
        else:  # cut in the middle of a line
            middle = len(data) // 2
            while middle > 1 and data[middle - 1:middle] == b"\n":
                middle -= 1
            tree.data[rel] = data[:middle]
    return src


def _pci_consumers(source: SnapshotSource, profile: loader.Profile) -> Callable[[str], str]:
    """Which PCI item depends on a file or link of the sysfs mirror: the device's, when the profile asks what it holds."""
    if profile.pci is None:
        return lambda rel: NOTHING
    facts = FactCache(source).pci
    by_slot = {}
    for exp in profile.pci.devices:
        for dev in matching(exp, facts):
            by_slot[dev.slot] = exp
    asks = {"subsystem_vendor": "subsystem", "subsystem_device": "subsystem", "revision": "revision", "driver": "driver", "numa_node": "numa_node"}

    def consumers(rel: str) -> str:
        slot = next((part for part in reversed(rel.split("/")) if re.fullmatch(r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", part)), None)
        exp = by_slot.get(slot or "")
        if exp is None:  # only an unlisted_devices: fail item judges devices the profile does not name
            fails = profile.pci.unlisted == "fail" and rel.startswith("fs/sys/bus/pci/devices/")
            return r"test_pci_unlisted_devices" if fails else NOTHING
        leaf = rel.rsplit("/", 1)[1]
        if leaf in asks and exp.prop(asks[leaf]) is None:
            return NOTHING
        if leaf == "driver" and exp.prop("driver").matches(None):
            return NOTHING  # "no driver bound" is one of the states the profile allows
        return re.escape(f"test_pci_device[{exp.key}]")
    return consumers


def _consumers(snapshot: str, rel: str, pci: Callable[[str], str]) -> tuple[str, str]:
    """The items that depend on an entry, and the mutations that leave a state a real machine has."""
    for pattern, items, *legit in CONSUMERS[snapshot]:
        m = re.fullmatch(pattern, rel)
        if m:
            return (pci(rel) if items == "PCI" else items.format(**m.groupdict())), (legit[0] if legit else "")
    raise AssertionError(f"{snapshot}: {rel} is named nowhere in CONSUMERS")


def _profile(snapshot: str) -> loader.Profile:
    ref, _, param = SNAPSHOTS[snapshot].partition(" --param ")
    return loader.load(ref, dict([param.split("=", 1)]) if param else {})


@pytest.mark.parametrize("snapshot", sorted(SNAPSHOTS))
def test_no_item_passes_on_destroyed_evidence(snapshot: str) -> None:
    base = SnapshotSource(REPO / "snapshots" / snapshot)
    profile = _profile(snapshot)
    before = dict(evaluate(profile, FactCache(base)))
    pci = _pci_consumers(base, profile)
    wrong = []
    for rel, kind in _entries(base):
        consumers, legit = _consumers(snapshot, rel, pci)
        for how in MUTATIONS:
            if (how == "binary" and kind == "link") or (how in ("empty", "cut") and kind != "link" and not base._tree.data[rel]):
                continue  # nothing to destroy
            after = dict(evaluate(profile, FactCache(_mutated(base, rel, kind, how))))
            for item, result in after.items():
                if result.outcome != "passed":
                    continue
                if before[item].outcome != "passed":
                    wrong.append(f"{rel} {how}: {item} passes, and failed before")
                elif consumers and re.match(consumers, item) and how not in legit.split() and not (how == "cut" and WRITTEN_BY_PEOPLE.match(rel)):
                    wrong.append(f"{rel} {how}: {item} still passes: {result.message[:120]}")
    assert not wrong, "\n".join(wrong)


def test_the_table_is_not_empty_handed() -> None:
    # a consumer pattern that matches no item of its profile would make the test above vacuous
    for snapshot, rows in CONSUMERS.items():
        items = [k for k, _ in evaluate(_profile(snapshot), FactCache(SnapshotSource(REPO / "snapshots" / snapshot)))]
        for _, pattern, *_legit in rows:
            if pattern not in (NOTHING, "PCI") and "{" not in pattern:
                assert any(re.match(pattern, i) for i in items), f"{snapshot}: {pattern} names no item"
