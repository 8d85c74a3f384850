"""Parsers: recorded pairs, and totality (records or ParseError, never another exception)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwcompat.errors import ParseError
from hwcompat.parsers import ip_json, ip_text, modules_list, proc_cpuinfo, proc_meminfo, proc_modules, sysfs_pci
from hwcompat.parsers.registry import PARSERS
from hwcompat.sources.base import UdevDevice
from selftests.pairs import expected_path, inputs, parser_of, run

TEXT_PARSERS = [parse for name, parse in PARSERS.items() if name != sysfs_pci.NAME]


@pytest.mark.parametrize("path", inputs(), ids=lambda p: p.name)
def test_recorded_pair(path: Path) -> None:
    expected = json.loads(expected_path(path).read_text())
    assert expected["source"], "each pair names the command or file it came from"
    assert run(path) == expected["records"]


def test_every_parser_has_pairs() -> None:
    assert {parser_of(p) for p in inputs()} == set(PARSERS)


def test_cpuinfo_reads_the_published_dom0_block() -> None:
    [cpu] = run(Path(__file__).parent / "data/parsers/proc_cpuinfo--x10sae-dom0.txt")
    assert cpu["model_name"] == "Intel(R) Xeon(R) CPU E3-1265L v3 @ 2.50GHz"
    assert cpu["microcode"] == 0x17 and cpu["cache_size_kb"] == 8192
    assert "hypervisor" in cpu["flags"] and "vmx" not in cpu["flags"]


@pytest.mark.parametrize(("parse", "text", "line_no"), [
    (proc_cpuinfo.parse, "processor : 0\nno colon here\n", 2),
    (proc_cpuinfo.parse, "processor : 0\ncpu family : six\n", 2),
    (proc_modules.parse, "e1000e 226318\n", 1),
    (proc_meminfo.parse, "MemTotal: lots kB\n", 1),
    (modules_list.parse, "kernel/drivers/foo.txt:\n", 1),
])
def test_malformed_input_names_the_line(parse, text: str, line_no: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.line_no == line_no
    assert f"line {line_no}" in str(info.value)


def test_sysfs_pci_rejects_non_hex() -> None:
    dev = UdevDevice("/sys/devices/pci0000:00/0000:00:19.0", None, (("vendor", "intel"), ("device", "0x153a"), ("class", "0x020000")))
    with pytest.raises(ParseError, match="vendor is not 0x and 4 hexadecimal digits"):
        sysfs_pci.parse(dev)


@pytest.mark.parametrize("parse", TEXT_PARSERS, ids=lambda f: f.__module__.rsplit(".", 1)[1])
@given(text=st.text())
def test_parsers_are_total_on_any_text(parse, text: str) -> None:
    try:
        parse(text)
    except ParseError:
        pass


@pytest.mark.parametrize("path", [p for p in inputs() if p.suffix == ".txt"], ids=lambda p: p.name)
@given(data=st.data())
def test_parsers_are_total_on_mangled_real_lines(path: Path, data: st.DataObject) -> None:
    lines = path.read_text().splitlines()
    picked = data.draw(st.lists(st.sampled_from(lines), max_size=len(lines)))
    cut = data.draw(st.integers(0, 40))
    text = "\n".join(picked)
    try:
        PARSERS[parser_of(path)](text[: len(text) - cut])
    except ParseError:
        pass


@given(attrs=st.dictionaries(st.sampled_from(["vendor", "device", "class", "revision", "subsystem_vendor"]), st.text(max_size=10)))
def test_sysfs_pci_is_total(attrs: dict[str, str]) -> None:
    try:
        sysfs_pci.parse(UdevDevice("/sys/devices/pci0000:00/0000:00:01.0", None, tuple(attrs.items())))
    except ParseError:
        pass


@pytest.mark.parametrize(("parse", "text"), [
    (PARSERS["ip_rule"], '[{"priority":201,"src":"fe80::1","srclen":64,"table":"3"}]'),
    (PARSERS["ip_route"], '[{"dst":"300.1.2.0/24","dev":"eth0"}]'),
    (PARSERS["ip_rule_text"], "201:\tfrom fe80::1/64 lookup 3\n"),
    (PARSERS["ip_route_text"], "300.1.2.0/24 dev eth0\n"),
])
def test_iproute2_parsers_refuse_what_is_not_ipv4(parse, text: str) -> None:
    # IPv6 routes are legitimate input (table all lists both families) and are kept with family inet6;
    # an IPv6 rule, or an address that is neither, is odd input
    with pytest.raises(ParseError, match="IPv4"):
        parse(text)


@pytest.mark.parametrize("parse", [ip_json.parse_route_get, ip_text.parse_route_get], ids=["ip_route_get", "ip_route_get_text"])
@given(text=st.text())
def test_route_get_parsers_are_total_on_any_text(parse, text: str) -> None:
    try:
        parse(text)
    except ParseError:
        pass


#: words ip rule and ip route print, for totality on text that looks like theirs
_IP_WORDS = ["from", "to", "all", "not", "lookup", "table", "main", "fwmark", "0x1/0xff", "iif", "oif", "eth0", "[detached]", "goto", "nop",
             "uidrange", "0-10", "ipproto", "tcp", "sport", "dport", "1-2", "0x4/0xff", "suppress_prefixlength", "suppress_ifgroup", "tos",
             "dscp", "realms", "1/2", "unreachable", "blackhole", "default", "via", "dev", "10.0.0.1", "10.0.0.0/8", "metric", "100",
             "proto", "kernel", "scope", "link", "src", "linkdown", "nexthop", "weight", "cache", "pref", "medium", "fe80::/64", "local",
             "broadcast", "encap", "mpls", "mtu", "lock", "features", "ecn", "expires", "error", "-101", "[l3mdev-table]", "nhid"]


@pytest.mark.parametrize("parse", [ip_text.parse_rules, ip_text.parse_routes, ip_text.parse_route_get], ids=lambda f: f.__name__)
@given(lines=st.lists(st.tuples(st.sampled_from(["", "0:\t", "32766:\t", "\t", "    "]), st.lists(st.sampled_from(_IP_WORDS), max_size=12))))
def test_iproute2_text_parsers_are_total_on_their_own_words(parse, lines: list[tuple[str, list[str]]]) -> None:
    try:
        parse("".join(head + " ".join(words) + "\n" for head, words in lines))
    except ParseError:
        pass


_JSON_KEYS = ["priority", "src", "srclen", "dst", "dstlen", "fwmark", "fwmask", "sport", "sport_mask", "sport_start", "sport_end", "goto", "not",
              "uid_start", "uid_end", "table", "dscp", "dscp_mask", "tun_id", "flow_to", "flow_from", "suppress_prefixlen", "nexthops", "via",
              "gateway", "dev", "metric", "type", "tos", "nhid", "flags", "ifname", "addr_info", "linkinfo"]
_JSON_VALUES = st.one_of(st.none(), st.integers(-5, 70000), st.text(max_size=6), st.sampled_from(["0x1", "all", "default", "10.0.0.0", "fe80::1", "0"]),
                         st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from(["dev", "gateway", "host", "family"]), st.text(max_size=4)))


@pytest.mark.parametrize("parse", [ip_json.parse_rules, ip_json.parse_routes, ip_json.parse_links, ip_json.parse_addrs], ids=lambda f: f.__name__)
@given(objects=st.lists(st.dictionaries(st.sampled_from(_JSON_KEYS), _JSON_VALUES, max_size=8), max_size=4))
def test_iproute2_json_parsers_are_total_on_any_objects(parse, objects: list[dict[str, object]]) -> None:
    try:
        parse(json.dumps(objects))
    except ParseError:
        pass
