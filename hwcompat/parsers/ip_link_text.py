r"""Parsers for iproute2's text ``ip -d link show`` and ``ip addr show``, for iproute2 < 4.14 (no ``-j``).

Debian 8 (iproute2 3.16), CentOS/RHEL 7 (3.10, 4.11 from 7.5), Ubuntu 14.04/16.04 (3.12/4.3): ``ip -j``
stops with ``Option "-j" is unknown, try "ip -help".`` on stderr and exit 255 (ip/ip.c main; measured
with iproute2 3.10, 3.16, 4.9 and 4.13 built from their tags). Samples (iproute2 3.16; the vlan line
from a RHEL 7 ``ip -d link``)::

    ip -d link show
        6: port6@port6p: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br6 state UP mode DEFAULT group default qlen 1000
            link/ether 16:c2:d1:5c:20:c0 brd ff:ff:ff:ff:ff:ff promiscuity 1
            veth
            bridge_slave
        8: tun-hma: <NO-CARRIER,POINTOPOINT,MULTICAST,NOARP,UP> mtu 1500 qdisc pfifo_fast state DOWN mode DEFAULT group default qlen 500
            link/none  promiscuity 0
            tun
        3: eth0.6@eth0: ...
            vlan protocol 802.1Q id 6 <REORDER_HDR>
    ip addr show
        8: tun-hma: <NO-CARRIER,POINTOPOINT,MULTICAST,NOARP,UP> mtu 1500 qdisc pfifo_fast state DOWN group default qlen 500
            link/none
            inet 10.200.0.6 peer 10.200.0.5/32 scope global tun-hma
               valid_lft forever preferred_lft forever

Records: the same :class:`~hwcompat.parsers.ip_json.IpLink` and :class:`~hwcompat.parsers.ip_json.IpAddr`
that ``ip -d -j link show`` / ``ip -j addr show`` give, field for field: both forms print the same
netlink attributes (ip/ipaddress.c print_linkinfo, print_linktype, print_addrinfo of v3.10-v4.13,
read against v4.14's JSON printing):

- header ``N: NAME[@PARENT]: <FLAGS> ... [master M] [state S] ...``: ``@NONE`` (IFLA_LINK 0) is
  JSON ``"link": null``; ``@ifN`` with ``link-netnsid``/``link-netns`` on the ``link/`` line is a
  peer in another namespace (JSON ``link_index``, no ``link``): parent None; any other ``@X`` is the
  parent, even an unresolved ``if5`` (JSON prints that too). A state outside iproute2's table
  (``state 0x7``) or none is ``UNKNOWN``, as ip_json records a missing ``operstate``.
- ``ip -d``: the line right after ``link/...`` is ``    KIND ...`` when the kernel sends
  IFLA_INFO_KIND (print_linktype: ``vlan protocol 802.1Q id 6``, ``bridge forward_delay ...``,
  ``bond mode ...``, ``vxlan id ...``, ``gre remote ...``, ``openvswitch``, ``team``, ``veth``,
  ``dummy``, ``tun``, ...), then ``    SLAVEKIND_slave ...`` (``bridge_slave``, ``bond_slave``,
  ``openvswitch_slave``). A vlan line's ``id N`` is ``vlan_id`` (also the older ``vlan id 11
  <REORDER_HDR>``). Lines indented deeper (vlan ``ingress-qos-map``, can timing) belong to the kind line.
- ``inet LOCAL/N``, ``inet LOCAL peer PEER/N`` (prefixlen is the /N printed after the peer),
  ``inet6``, ``dnet``, ``ipx``, ``family N`` (family ``""``, as ip_json records it); an address line
  without a local address is skipped, as ip_json skips it.

Where the old text says less than JSON would (measured on one namespace, old binaries vs 6.1's JSON):

- ``slave_kind`` is None under iproute2 < 3.14 (fbea6115 first printed ``*_slave`` lines); ``master``
  is in the header on every version, so bridge and bond membership is still read.
- iproute2 < 4.0 prints no ``link-netnsid`` (ccdcbf35) and names a veth peer in another namespace by
  whatever LOCAL interface has the peer's index (3.16 printed ``vethx@eth0p``): parent is then wrong
  for such a veth, and nothing in the text tells.
- iproute2 3.10 compared only 4 bytes of an IPv6 peer (fixed in 3.11, 973eb50b): such a peer is None.

``ip link show`` without ``-d`` prints no kind lines: parse_links refuses a listing in which no
``link/`` line carries ``promiscuity`` (printed with ``-d`` since iproute2 3.8, ede6a3ea). An interface
name holding ``@`` is split at its last ``@`` (the kernel allows ``@``; the text cannot tell ``a@b``
from ``a`` on parent ``b``). Stats (``-s``), ``alias``, ``vf``, ``altname``, ``valid_lft`` and detail
words are skipped whatever they say. Raises ParseError, naming the line, for a line at column 0 that
is not an ``N: NAME: <FLAGS>`` header (a name cannot hold ``:`` or blanks), an indented line before
the first header, an ``ip -d link`` block whose first line is not ``    link/TYPE`` (whitespace
mangled, or cut), a ``vlan`` line whose ``id`` is not a number, an address line that is not
``ADDRESS/N`` or ``ADDRESS peer PEER/N`` with a valid address and prefix, and the one-line form
(``ip -o``: records joined by ``\``), which is refused rather than guessed at.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

from hwcompat.errors import ParseError
from hwcompat.parsers.ip_json import IpAddr, IpLink

LINK_NAME = "ip_link_text"
ADDR_NAME = "ip_addr_text"

# print_linkinfo: "%d: %s" ifindex/name, "@%s: " or ": ", then print_link_flags "<...> "
_HEADER = re.compile(r"(\d+): ([^\s:]+): <([^\s>]*)>(.*)")
# print_addrinfo in -o mode: "%u: %s" then "    inet ..." on the same line
_ONELINE_ADDR = re.compile(r"\d+: [^\s:]+\s+(inet6?|link/\S*|dnet|ipx|family)\s")
_KIND = re.compile(r"[a-z][a-z0-9_]*")
# first words of 4-space lines after "link/..." that are not a kind: ip -d addr's addresses, alias, vf, altname
_NOT_KIND = frozenset({"inet", "inet6", "dnet", "ipx", "family", "alias", "vf", "altname"})
_PAIRS = frozenset({"mtu", "qdisc", "master", "state", "mode", "group", "qlen", "event"})
_OPER_STATES = frozenset({"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"})
_ADDR_FAMILIES = {"inet": "inet", "inet6": "inet6", "dnet": "dnet", "ipx": "ipx", "family": ""}


@dataclass(frozen=True, slots=True)
class _Block:
    """One interface: its header and the indented lines under it, with line numbers."""

    line_no: int
    line: str
    name: str
    flags: tuple[str, ...]
    words: list[str]
    lines: list[tuple[int, str]]


def _blocks(parser: str, text: str) -> Iterator[_Block]:
    block: _Block | None = None
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line[0] in " \t":
            if block is None:
                raise ParseError(parser, line_no, line, "an indented line before the first 'N: NAME: <FLAGS>' header")
            block.lines.append((line_no, line))
            continue
        m = _HEADER.fullmatch(line)
        if (m is None and _ONELINE_ADDR.match(line)) or (m is not None and re.search(r"\\\s", m.group(4))):
            raise ParseError(parser, line_no, line, "one-line output (ip -o, records joined by '\\') is not read: run it without -o")
        if m is None:
            raise ParseError(parser, line_no, line, "expected an interface header 'N: NAME: <FLAGS> ...' (a name holds no ':' or blanks)")
        if block is not None:
            yield block
        block = _Block(line_no, line, m.group(2), tuple(f for f in m.group(3).split(",") if f), m.group(4).split(), [])
    if block is not None:
        yield block


def _name(parser: str, block: _Block) -> tuple[str, str]:
    """NAME and the PARENT text of ``NAME@PARENT`` ("" without one), split at the last ``@``."""
    name, at, parent = block.name.rpartition("@")
    if not at:
        return parent, ""
    if not name or not parent:
        raise ParseError(parser, block.line_no, block.line, f"{block.name!r} is not NAME or NAME@PARENT")
    return name, parent


def _header_fields(words: list[str]) -> dict[str, str]:
    """``mtu``/``qdisc``/``master``/``state``/... and their values; single words (``xdp``) are skipped."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(words):
        if words[i] in _PAIRS and i + 1 < len(words):
            fields.setdefault(words[i], words[i + 1])
            i += 2
        else:
            i += 1
    return fields


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _link(block: _Block) -> IpLink:
    name, parent_text = _name(LINK_NAME, block)
    if not block.lines or not block.lines[0][1].startswith("    link/"):
        line_no, line = block.lines[0] if block.lines else (block.line_no, block.line)
        raise ParseError(LINK_NAME, line_no, line, f"expected '    link/TYPE ...' right under {name}'s header "
                                                   "(ip link always prints it; indentation changed or output cut?)")
    fields = _header_fields(block.words)
    netns = not {"link-netnsid", "link-netns"}.isdisjoint(block.lines[0][1].split())
    parent = None if not parent_text or parent_text == "NONE" or (netns and parent_text.startswith("if")) else parent_text
    state = fields.get("state", "UNKNOWN")
    kind = slave_kind = None
    vlan_id = vrf_table = None
    for line_no, line in block.lines[1:]:
        if _indent(line) != 4:
            continue  # indented deeper (vlan qos maps, can timing): part of the line above
        word = line.split()[0]
        if not _KIND.fullmatch(word) or word in _NOT_KIND:
            break  # stats, alias, vf ...: no kind line follows
        if word.endswith("_slave"):
            slave_kind = word.removesuffix("_slave")
            break
        if kind is not None:
            break
        kind = word
        if word == "vlan":
            vlan_id = _vlan_id(line_no, line, line.split())
        if word == "vrf":
            vrf_table = _number_after("table", line_no, line, line.split())
    return IpLink(name, kind, slave_kind, fields.get("master"), parent, vlan_id, block.flags,
                  state if state in _OPER_STATES else "UNKNOWN", fields.get("group"), vrf_table)


def _vlan_id(line_no: int, line: str, words: list[str]) -> int | None:
    return _number_after("id", line_no, line, words)


def _number_after(key: str, line_no: int, line: str, words: list[str]) -> int | None:
    """``vlan protocol 802.1Q id 6`` -> 6 for ``id``; ``vrf table 10`` -> 10 for ``table``."""
    if key not in words:
        return None
    i = words.index(key)
    value = words[i + 1] if i + 1 < len(words) else ""
    if not value.isdigit() or not value.isascii():
        raise ParseError(LINK_NAME, line_no, line, f"{words[0]} {key} {value!r} is not a number")
    return int(value)


def parse_links(text: str) -> list[IpLink]:
    """Parse ``ip -d link show`` (iproute2 without ``-j``)."""
    blocks = list(_blocks(LINK_NAME, text))
    links = [_link(block) for block in blocks]
    if blocks and not any("promiscuity" in block.lines[0][1].split() for block in blocks):
        raise ParseError(LINK_NAME, blocks[0].line_no, blocks[0].line,
                         "no link/ line carries 'promiscuity': this is not `ip -d link show` (iproute2 >= 3.8 prints it "
                         "with -d, and only -d prints the kind lines), so kinds cannot be read")
    return links


def _address(family: str, text: str, line_no: int, line: str, ifname: str) -> None:
    try:
        if family == "inet":
            ipaddress.IPv4Address(text)
        elif family == "inet6":
            ipaddress.IPv6Address(text)
    except ValueError:
        raise ParseError(ADDR_NAME, line_no, line, f"{text!r} of {ifname} is not an {family} address") from None


def _addr(ifname: str, line_no: int, line: str) -> IpAddr | None:
    words = line.split()
    family = _ADDR_FAMILIES[words[0]]
    rest = words[2:] if words[0] == "family" else words[1:]
    if not rest or rest[0] in ("brd", "any", "scope"):
        return None  # no IFA_LOCAL: nothing printed before brd/scope (print_addrinfo); ip_json skips it too
    if len(rest) >= 3 and rest[1] == "peer":
        local, (peer, slash, plen) = rest[0], rest[2].partition("/")
    else:
        peer = None
        local, slash, plen = rest[0].partition("/")
    if not slash:
        raise ParseError(ADDR_NAME, line_no, line, "expected ADDRESS/PREFIXLEN or ADDRESS peer PEER/PREFIXLEN")
    limit = {"inet": 32, "inet6": 128}.get(family, 255)
    if not plen.isdigit() or not plen.isascii() or int(plen) > limit:
        raise ParseError(ADDR_NAME, line_no, line, f"prefix length {plen!r} is not 0-{limit}")
    for value in (local, peer):
        if value is not None:
            _address(family, value, line_no, line, ifname)
    return IpAddr(ifname, family, local, int(plen), peer)


def parse_addrs(text: str) -> list[IpAddr]:
    """Parse ``ip addr show`` (iproute2 without ``-j``)."""
    out = []
    for block in _blocks(ADDR_NAME, text):
        ifname = _name(ADDR_NAME, block)[0]
        for line_no, line in block.lines:
            if line.split()[0] in _ADDR_FAMILIES:
                found = _addr(ifname, line_no, line)
                if found is not None:
                    out.append(found)
    return out
