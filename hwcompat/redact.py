"""Redact a snapshot so it can be sent to a vendor: what identifies the machine is replaced by pseudonyms.

Replaced everywhere (file contents, command outputs, path names, the manifest):

- the host name (the manifest's ``hostname``, /proc/sys/kernel/hostname, /etc/hostname; the
  name and its first label, as whole words, except as a JSON key: a machine called "gateway"
  keeps the ``"gateway":`` of ``ip -j route``);
- DMI serial numbers, asset tags and the product UUID (/sys/class/dmi/id), and every UUID;
- MAC addresses: the vendor part (OUI, the first three bytes) is kept, since it says which
  chip the port is; the rest is replaced;
- IP addresses, IPv4 and IPv6, by a prefix-preserving pseudonym (as Crypto-PAn does: bit i of
  an address is flipped by a keyed function of bits 0..i-1), so two addresses share exactly as
  many leading bits after as before and every rule, route and path evaluates the same.

Private and special-purpose ranges (RFC 1918, CGNAT, loopback, link-local, multicast,
documentation, unique local IPv6) are kept as they are by default: shared profiles are written
with them (a gateway's VLAN 192.168.6.0/24), they identify nothing outside the site, and the
pseudonyms never land in them, so no public address becomes a private one or the reverse.
``all_addresses`` maps them too (then a profile naming them no longer matches the snapshot).

The same key gives the same pseudonyms: redact a fleet's snapshots with one key file and a
host's addresses stay consistent across them. Without a key file the key is random and the
pseudonyms cannot be reversed by anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import posixpath
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hwcompat.sources.snapshot import SnapshotSource, command_slug

KEPT_V4 = tuple(ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
    "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"))
KEPT_V6 = tuple(ipaddress.IPv6Network(n) for n in (
    "::/127", "::ffff:0:0/96", "64:ff9b::/96", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8"))
#: kept even with all_addresses: what makes an address special to the kernel (unspecified, loopback, multicast)
STRUCTURAL_V4 = tuple(ipaddress.IPv4Network(n) for n in ("0.0.0.0/8", "127.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4"))
STRUCTURAL_V6 = tuple(ipaddress.IPv6Network(n) for n in ("::/127", "fe80::/10", "ff00::/8"))

DMI = "/sys/class/dmi/id"
DMI_SECRETS = ("product_serial", "board_serial", "chassis_serial", "product_uuid", "board_asset_tag", "chassis_asset_tag")
#: DMI values firmware ships unset; replacing them would hide nothing and change what the board says
PLACEHOLDERS = {"", "none", "not specified", "to be filled by o.e.m.", "default string", "0123456789", "system serial number",
                "not applicable", "n/a", "0", "00000000", "123456789"}

_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_MAC = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:])")
_V4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?(?![\w.]|\.\d)")
_V6 = re.compile(r"(?<![\w:.])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3})(/\d{1,3})?(?![\w:.])")


@dataclass
class Redactor:
    """Pseudonyms for one redaction (one key): consistent within it, and across runs with the same key."""

    key: bytes
    all_addresses: bool = False
    words: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"host names": 0, "serials": 0, "uuids": 0, "macs": 0, "ipv4": 0, "ipv6": 0})
    _prf: dict[tuple[int, int, int], int] = field(default_factory=dict)
    _word_re: re.Pattern[str] | None = None

    def _digest(self, label: str) -> bytes:
        return hmac.new(self.key, label.encode(), hashlib.sha256).digest()

    def add_word(self, kind: str, value: str) -> None:
        """A value to replace wherever it appears as a whole word (a host name, a serial number)."""
        value = value.strip()
        if value.lower() in PLACEHOLDERS or len(value) < 2 or value in self.words:
            return
        self.words[value] = f"{'host' if kind == 'host names' else 'redacted'}-{self._digest(kind + value).hex()[:8]}"
        self._word_re = None

    def _uuid(self, m: re.Match[str]) -> str:
        self.counts["uuids"] += 1
        h = self._digest("uuid" + m.group(0).lower()).hex()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"

    def _mac(self, m: re.Match[str]) -> str:
        mac = m.group(0)
        if mac.lower() in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"):
            return mac
        self.counts["macs"] += 1
        tail = self._digest("mac" + mac.lower()).hex()[:6]
        return f"{mac[:8]}:{tail[0:2]}:{tail[2:4]}:{tail[4:6]}"

    def _kept(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Network, ...] | tuple[ipaddress.IPv6Network, ...]:
        if addr.version == 4:
            return STRUCTURAL_V4 if self.all_addresses else KEPT_V4
        return STRUCTURAL_V6 if self.all_addresses else KEPT_V6

    def address(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        """The pseudonym of one address: prefix-preserving, and never into or out of a kept range."""
        kept = self._kept(addr)
        bits = addr.max_prefixlen
        value = int(addr)
        blocks = [(int(k.network_address) >> (bits - k.prefixlen), k.prefixlen) for k in kept]
        out = 0
        for i in range(bits):
            prefix = value >> (bits - i) if i else 0
            # on the way to a kept block, or inside one: keep the bit, so nothing is moved into or out of it
            guarded = any((prefix >> (i - min(i, plen))) == (net >> (plen - min(i, plen))) for net, plen in blocks)
            flip = 0 if guarded else self._flip(bits, i, prefix)
            out = (out << 1) | (((value >> (bits - 1 - i)) & 1) ^ flip)
        return type(addr)(out)

    def _flip(self, bits: int, i: int, prefix: int) -> int:
        key = (bits, i, prefix)
        if key not in self._prf:
            self._prf[key] = self._digest(f"ip{bits}/{i}/{prefix}")[0] & 1
        return self._prf[key]

    def _ip(self, m: re.Match[str], version: int) -> str:
        text, plen = m.group(1), m.group(2) or ""
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return m.group(0)
        if addr.version != version or text.count(":") == 1:
            return m.group(0)
        mapped = self.address(addr)
        if mapped == addr:
            return m.group(0)
        self.counts["ipv4" if version == 4 else "ipv6"] += 1
        if plen and int(plen[1:]) <= addr.max_prefixlen:
            length = int(plen[1:])
            host = addr.max_prefixlen - length
            if host and int(addr) & ((1 << host) - 1) == 0:  # written as a network: keep it one
                mapped = type(addr)(int(mapped) >> host << host)
        return f"{mapped}{plen}" if version == 4 else f"{mapped.compressed}{plen}"

    def _word(self, m: re.Match[str]) -> str:
        word = m.group(0)
        self.counts["host names" if self.words[word].startswith("host-") else "serials"] += 1
        return self.words[word]

    def text(self, text: str) -> str:
        """Everything this redaction replaces, replaced in one text."""
        if self.words:
            if self._word_re is None:
                names = sorted(self.words, key=len, reverse=True)
                # whole words, but never a JSON key: a machine called "gateway" keeps `"gateway":` in ip -j route
                self._word_re = re.compile(r"(?<![\w.-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-]|\":)")
            text = self._word_re.sub(self._word, text)
        text = _UUID.sub(self._uuid, text)
        text = _MAC.sub(self._mac, text)
        text = _V4.sub(lambda m: self._ip(m, 4), text)
        return _V6.sub(lambda m: self._ip(m, 6), text)


def _strings(data: object, change: Callable[[str], str]) -> object:
    if isinstance(data, str):
        return change(data)
    if isinstance(data, list):
        return [_strings(v, change) for v in data]
    if isinstance(data, dict):
        return {change(k): _strings(v, change) for k, v in data.items()}
    return data


def redact_entries(entries: list[tuple[str, str, str | bytes]], redactor: Redactor) -> list[tuple[str, str, str | bytes]]:
    """Snapshot entries (relative path, file|link|dir, payload; manifest.json among them) redacted.

    Command output files are renamed after their redacted command line, so the manifest and
    ``cmd/`` agree; the manifest is written last.
    """
    files = {rel: payload for rel, kind, payload in entries if kind == "file"}

    def content(rel: str) -> str:
        raw = files.get(rel, b"")
        return raw if isinstance(raw, str) else raw.decode("utf-8", "replace")

    manifest = json.loads(content("manifest.json"))
    hostnames = {str(manifest.get("hostname") or "")} | {content(f"fs{p}").strip() for p in ("/proc/sys/kernel/hostname", "/etc/hostname")}
    for name in hostnames:
        if name:
            redactor.add_word("host names", name)
            redactor.add_word("host names", name.split(".")[0])
    for attr in DMI_SECRETS:
        value = content(f"fs{DMI}/{attr}").strip()
        if value and not _UUID.fullmatch(value):
            redactor.add_word("serials", value)

    def path(rel: str) -> str:
        return "/".join(redactor.text(part) for part in rel.split("/"))

    out: list[tuple[str, str, str | bytes]] = []
    renamed: dict[str, str] = {}
    for cmd in manifest.get("commands", []):
        new_argv = [redactor.text(a) for a in cmd["argv"]]
        if cmd.get("stdout"):
            renamed[cmd["stdout"]] = f"cmd/{command_slug(new_argv)}"
    for rel, kind, payload in entries:
        if rel == "manifest.json":
            continue
        new_rel = renamed.get(rel) or (path(rel) if not rel.startswith("cmd/") else rel)
        if kind == "file":
            data = payload if isinstance(payload, str) else payload.decode("utf-8", "strict") if _is_text(payload) else payload
            out.append((new_rel, kind, redactor.text(data) if isinstance(data, str) else data))
        elif kind == "link":
            out.append((new_rel, kind, posixpath.join(*[redactor.text(p) for p in str(payload).split("/")]) if payload else payload))
        else:
            out.append((new_rel, kind, payload))
    for cmd in manifest.get("commands", []):
        if cmd.get("stdout"):
            cmd["stdout"] = renamed[cmd["stdout"]]
    redacted = _strings({k: v for k, v in manifest.items() if k != "commands"}, redactor.text)
    assert isinstance(redacted, dict)
    redacted["commands"] = [{**c, "argv": [redactor.text(a) for a in c["argv"]], "stderr": redactor.text(c.get("stderr", ""))}
                            for c in manifest.get("commands", [])]
    kept = ("loopback, link-local, multicast and unspecified addresses" if redactor.all_addresses else
            "private and special-purpose addresses (RFC 1918, CGNAT, loopback, link-local, multicast, documentation, ULA)")
    redacted["redacted"] = {"by": "hwcompat redact", "kept": kept, "replaced": dict(redactor.counts)}
    out.append(("manifest.json", "file", json.dumps(redacted, indent=2) + "\n"))
    return out


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def load_key(path: str | None) -> bytes:
    """The key from a file (any bytes; keep it secret, reuse it across a fleet), or a random one."""
    if path is None:
        return secrets.token_bytes(32)
    key = Path(path).read_bytes()
    if len(key) < 16:
        raise ValueError(f"{path}: a key file needs at least 16 bytes (e.g. head -c 32 /dev/urandom > {path})")
    return key


def redact_snapshot(src: str | Path, out: str | Path, redactor: Redactor) -> Path:
    """Read a snapshot (bounded and checked as any), write its redacted copy to ``out`` (a directory or .tar.gz)."""
    from hwcompat.sources.recording import write_entries  # noqa: PLC0415 - recording imports the live source

    source = SnapshotSource(src)
    return write_entries(redact_entries(source.entries(), redactor), out)
