"""PARSERS: every parser by name; each must have recorded pairs in selftests/data/parsers/.

A module of its own so that importing one parser does not import them all (a run that judges no
network never loads the iproute2, iptables and nft parsers).
"""

from __future__ import annotations

from collections.abc import Callable

from hwcompat.parsers import (
    bls,
    cmdline,
    grub_default,
    grub_legacy,
    ip_json,
    ip_link_text,
    ip_text,
    iptables_save,
    kernel_config,
    modules_list,
    modules_load,
    nft_json,
    openvpn_conf,
    proc_cpuinfo,
    proc_meminfo,
    proc_modules,
    proc_swaps,
    rt_tables,
    sysfs_pci,
    xentop_batch,
    xl_info,
    xl_list,
    xl_tmem_list,
)

PARSERS: dict[str, Callable[..., object]] = {
    proc_cpuinfo.NAME: proc_cpuinfo.parse,
    proc_modules.NAME: proc_modules.parse,
    proc_meminfo.NAME: proc_meminfo.parse,
    modules_list.NAME: modules_list.parse,
    sysfs_pci.NAME: sysfs_pci.parse,
    xl_info.NAME: xl_info.parse,
    xl_list.NAME: xl_list.parse,
    xl_tmem_list.NAME: xl_tmem_list.parse,
    xentop_batch.NAME: xentop_batch.parse,
    grub_default.NAME: grub_default.parse,
    grub_legacy.NAME: grub_legacy.parse,
    bls.NAME: bls.parse,
    bls.GRUBENV: bls.parse_grubenv,
    cmdline.NAME: cmdline.parse,
    kernel_config.NAME: kernel_config.parse,
    proc_swaps.NAME: proc_swaps.parse,
    modules_load.NAME: modules_load.parse,
    "ip_link": ip_json.parse_links,
    "ip_addr": ip_json.parse_addrs,
    "ip_rule": ip_json.parse_rules,
    "ip_route": ip_json.parse_routes,
    "ip_rule_text": ip_text.parse_rules,
    "ip_route_text": ip_text.parse_routes,
    ip_link_text.LINK_NAME: ip_link_text.parse_links,
    ip_link_text.ADDR_NAME: ip_link_text.parse_addrs,
    iptables_save.NAME: iptables_save.parse,
    nft_json.NAME: nft_json.parse,
    openvpn_conf.NAME: openvpn_conf.parse,
    rt_tables.NAME: rt_tables.parse,
}
