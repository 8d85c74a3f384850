"""The fast paths of #12 give what the plain ones give: the route index, the route readers, dotted quads, control characters."""

from __future__ import annotations

import ipaddress
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcompat import facts, routing
from hwcompat.errors import CannotCheck, ParseError
from hwcompat.parsers import ip_json
from hwcompat.parsers.ip_json import Route, dotted_quad


@given(st.one_of(
    st.text(alphabet="0123456789./a:x٣ ", max_size=20),
    st.builds(lambda a, n: f"{a}/{n}", st.ip_addresses(v=4), st.integers(0, 40)),
    st.builds(str, st.ip_addresses(v=4)),
    st.builds(lambda o, n: ".".join(o) + n, st.lists(st.sampled_from(["0", "00", "01", "1", "255", "256", "999", "1000"]), min_size=4, max_size=4),
              st.sampled_from(["", "/0", "/32", "/33", "/08", "/"])),
))
def test_dotted_quad_reads_exactly_what_ipaddress_reads(text: str) -> None:
    try:
        net = ipaddress.IPv4Network(text, strict=False)
        expected: tuple[int, int | None] | None = int(ipaddress.IPv4Address(text.partition("/")[0])), (net.prefixlen if "/" in text else None)
    except ValueError:
        expected = None
    got = dotted_quad(text)
    if got is not None:  # what it reads, it reads as ipaddress does
        assert got == expected
    elif expected is not None:  # what it leaves to ipaddress is only what is not the printed form (e.g. "/08", an integer)
        assert not text.replace(".", "").replace("/", "").isdigit() or "/0" in text or text.count(".") != 3


def _scan(fib: routing.Fib, table: str, dst: str) -> list[Route]:
    """The look-up as it was before the index: every route of the table that holds dst, longest prefix, then metric, then order."""
    hits = []
    for i, r in enumerate(fib.routes):
        if r.family != "inet" or r.table != table:
            continue
        net = ipaddress.IPv4Network("0.0.0.0/0" if r.dst == "default" else r.dst, strict=False)
        if ipaddress.IPv4Address(dst) in net:
            hits.append(((-net.prefixlen, r.metric, i), r))
    return [r for _, r in sorted(hits, key=lambda h: h[0])]


# "default" drawn on its own: derived from the address (an odd first octet) it was never drawn, all of them being even
_net = st.one_of(st.just("default"),
                 st.builds(lambda a, n: f"{a}/{n}" if n < 32 or a.packed[0] % 3 else str(a),
                           st.sampled_from([ipaddress.IPv4Address(x) for x in ("10.0.0.0", "10.1.2.3", "10.255.0.0", "192.168.6.7", "0.0.0.0",
                                                                                "128.0.0.1")]),
                           st.integers(0, 32)))
_route = st.builds(lambda dst, table, metric, dev, fam: Route(table, dst, "unicast", dev, None, metric, None, None, None, (), family=fam),
                   _net, st.sampled_from(["main", "100"]), st.integers(0, 3), st.sampled_from(["eth0", "eth1", "wg0"]),
                   st.sampled_from(["inet", "inet", "inet", "inet6"]))


@settings(max_examples=300)
@given(routes=st.lists(_route, max_size=12), dst=st.sampled_from(["10.0.0.1", "10.1.2.3", "10.255.9.9", "192.168.6.7", "0.0.0.0", "128.0.0.1", "8.8.8.8"]),
       table=st.sampled_from(["main", "100"]))
def test_the_index_chooses_the_route_a_scan_chooses(routes: list[Route], dst: str, table: str) -> None:
    fib = routing.Fib(rules=[], routes=routes, forwarding=True, rp_filter={})
    flow = routing._Flow(ipaddress.IPv4Address("10.9.9.9"), ipaddress.IPv4Address(dst), "lo", 0, 0, None, None, None, None, None)
    found = routing._lookup(fib, {"main": "254"}.get(table, table), flow, frozenset())
    scanned = _scan(fib, table, dst)
    assert (found[0] if found else None) is (scanned[0] if scanned else None)


_json_piece = st.sampled_from(['[', ']', '{', '}', ',', ' ', '\n', '"dst"', ':', '"10.0.0.0/8"', '"dev"', '"eth0"', '1', 'null', '[]',
                               '{"dst":"10.0.0.0/8"}', '"nexthops"', '"x', 'NaN', '{}', '\x0b', '\u3000'])


def _reference(text: str) -> object:
    """What reading every entry with the full reader gives (or the error it raises)."""
    try:
        return [ip_json._full_route(e, {}) for e in ip_json._load("ip_route", text)]
    except ParseError as err:
        return str(err)


@settings(max_examples=500)
@given(st.one_of(st.lists(_json_piece, max_size=16).map("".join),
                 st.lists(st.fixed_dictionaries({"dst": st.sampled_from(["10.0.0.0/8", "default", "fe80::/64", "10.1.1.1"])},
                                                 optional={"dev": st.sampled_from(["eth0", 1]), "metric": st.integers(0, 2),
                                                           "nexthops": st.lists(st.fixed_dictionaries({"dst": st.just("10.0.0.0/8")},
                                                                                                      optional={"dev": st.just("eth1")}), max_size=2)}),
                          max_size=4).map(json.dumps)))
def test_routes_read_through_the_hook_are_what_the_full_reader_reads(text: str) -> None:
    try:
        got: object = ip_json.parse_routes(text)
    except ParseError as err:
        got = str(err)
    assert got == _reference(text)


_value = st.one_of(st.none(), st.sampled_from(["", "main", "0", "unspec", "eth0", "10.0.0.1", "10.0.0.0/8", "default", "fe80::1", "all", "1.2.3.04"]),
                   st.integers(-1, 3), st.booleans(), st.lists(st.sampled_from(["onlink", 1]), max_size=2), st.just({"host": "10.0.0.9"}))


@settings(max_examples=2000)
@given(st.dictionaries(st.sampled_from([*sorted(ip_json._PLAIN_ROUTE), "tos", "pref", "via"]), _value)
       | st.fixed_dictionaries({"dst": st.sampled_from(["10.0.0.0/8", "default"])}, optional=dict.fromkeys(sorted(ip_json._PLAIN_ROUTE - {"dst"}), _value)))
def test_the_plain_route_reader_reads_what_the_full_reader_reads(entry: dict) -> None:
    try:
        full: object = ip_json._full_route(entry, {})
    except ParseError as err:
        full = str(err)
    plain = ip_json._plain_route(entry, {}, set())
    assert plain is None or plain == full


def test_an_ordinary_route_takes_the_plain_reader_and_a_nexthop_the_full_one() -> None:
    ordinary = {"dst": "23.45.0.0/16", "gateway": "192.168.1.254", "dev": "eth0", "protocol": "bgp", "metric": 20, "flags": []}
    assert ip_json._plain_route(ordinary, {}, set()) == ip_json._full_route(ordinary, {})
    assert ip_json._plain_route({**ordinary, "nexthops": []}, {}, set()) is None
    assert ip_json._plain_route({**ordinary, "dst": "fe80::/64"}, {}, set()) is None


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("\x00\x07\x08\t\n\x0b\x0c\r\x0e\x1f\x7f\x80\ufffd\udc80"), max_size=60))
def test_control_characters_are_counted_as_the_regular_expression_counts_them(text: str) -> None:
    """broken_text counts on bytes for speed; the count is the one a character class gives."""
    assert facts._controls(text) == len(re.findall("[\x00-\x08\x0e-\x1f\x7f\ufffd]", text))


@pytest.mark.parametrize(("name", "tables", "number"), [
    ("main", {}, "254"), ("254", {}, "254"), ("local", {}, "255"), ("hma", {"hma": 3}, "3"),
    ("0254", {}, "172"), ("0x10", {}, "16"), ("0X1f", {}, "31"), ("08", {}, "08"), ("0x", {}, "0x"),
    ("²", {}, "²"), ("٣", {}, "٣"), (" 254", {}, " 254"), ("100", {"100": 300}, "300"), ("0", {}, "0"),
])
def test_table_names_are_numbered_as_iproute2_reads_them(name: str, tables: dict, number: str) -> None:
    """rtnl_rttable_a2n: names first (rt_tables names may be digits), then strtoul(arg, NULL, 0); anything else names no table."""
    assert routing.table_number(name, tables) == number


@pytest.mark.parametrize("text", ['[{"dst":"all","dev":"wg0","table":"100"}]', '[{"dst":"10.0.0.0/8","metric":' + "1" * 5000 + "}]"])
def test_routes_no_kernel_prints_are_refused_with_a_line(text: str) -> None:
    with pytest.raises(ParseError):
        ip_json.parse_routes(text)


def test_a_route_made_with_an_unreadable_destination_is_cannot_check_not_a_traceback() -> None:
    odd = Route("100", "all", "unicast", "wg0", None, 0, None, None, None, ())
    with pytest.raises(CannotCheck, match="destination hwcompat cannot read"):
        routing.index_routes([odd], {})


_quad = st.builds(str, st.ip_addresses(v=4))
_plain_entry = st.fixed_dictionaries(
    {"dst": st.one_of(st.just("default"), _quad, st.builds(lambda a, n: f"{a}/{n}", _quad, st.integers(0, 32)))},
    optional={"gateway": _quad, "dev": st.sampled_from(["eth0", "wg0", ""]), "table": st.sampled_from(["main", "local", "100", ""]),
              "type": st.sampled_from(["unicast", "local", "blackhole", "unreachable", ""]), "protocol": st.sampled_from(["kernel", "bgp"]),
              "scope": st.sampled_from(["link", "host"]), "prefsrc": _quad, "metric": st.integers(0, 2**32),
              "flags": st.lists(st.sampled_from(["onlink", "linkdown"]), max_size=2)})


@settings(max_examples=500)
@given(_plain_entry)
def test_every_ordinary_route_is_read_by_the_plain_reader_as_the_full_reader_reads_it(entry: dict) -> None:
    """The fast reader's whole domain: every well-formed ordinary IPv4 route takes it, and gets what the full reader gives."""
    plain = ip_json._plain_route(entry, {}, set())
    assert plain is not None and plain == ip_json._full_route(entry, {})
