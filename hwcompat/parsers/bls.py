"""Parsers for BootLoaderSpec entries and GRUB's environment block, as GRUB's ``blscfg`` reads them.

``/boot/loader/entries/*.conf`` and ``/boot/grub2/grubenv``, as Fedora and RHEL 8+ boot them.

An entry is ``key value`` lines (the BLS spec, uapi-group.org boot_loader_specification;
grub2 grub-core/commands/blscfg.c ``read_entry``)::

    title Red Hat Enterprise Linux (4.18.0-305.el8.x86_64) 8.4 (Ootpa)
    version 4.18.0-305.el8.x86_64
    linux /vmlinuz-4.18.0-305.el8.x86_64
    initrd /initramfs-4.18.0-305.el8.x86_64.img $tuned_initrd
    options $kernelopts $tuned_params

Records of :func:`parse` (:class:`BlsLine`, in order; comments dropped)::

    key: str             # "" for a blank line
    value: str           # "" for a key without a value
    line_no: int
    grub_stops: bool     # GRUB's blscfg stops reading the entry here (a blank line, a key without a value)
    grub_differs: bool   # GRUB splits this line elsewhere (a tab before the first space: it splits at the space)

The environment block starts with ``# GRUB Environment Block``, then ``name=value`` lines
(a backslash escapes the next character), padded with ``#`` to 1024 bytes (grub-core/lib/envblk.c)::

    # GRUB Environment Block
    saved_entry=295e1ba1696e4fad9e062f096f92d147-4.18.0-305.el8.x86_64
    kernelopts=root=/dev/mapper/root_vg-lv_root ro crashkernel=auto

Records of :func:`parse_grubenv` (:class:`GrubenvVar`): name, value, line_no. Raises ParseError
for a block without the signature (GRUB ignores it) and a line GRUB cannot split (no ``=``,
a value not ended by a newline): GRUB stops reading there.

:func:`newest_first` orders entries as blscfg does (by file name: name, version, release, with
rpm's version comparison, newest first); :func:`expand` puts grubenv values in for ``$var``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "bls"
GRUBENV = "grubenv"
SIGNATURE = "# GRUB Environment Block"


@dataclass(frozen=True, slots=True)
class BlsLine:
    """One line of an entry."""

    key: str
    value: str
    line_no: int
    grub_stops: bool = False
    grub_differs: bool = False


@dataclass(frozen=True, slots=True)
class GrubenvVar:
    """One variable of the environment block."""

    name: str
    value: str
    line_no: int


def parse(text: str) -> list[BlsLine]:
    """Split one entry file into its lines."""
    out = []
    for line_no, raw in enumerate(text.replace("\r", "").split("\n"), start=1):
        line = raw.lstrip(" \t")
        if line.startswith("#"):
            continue
        key, _, value = line.replace("\t", " ").partition(" ")
        value = value.strip(" \t")
        # blscfg.c read_entry: the key ends at the first space, or at the first tab when there is no
        # space at all; no separator, or nothing after it, ends the entry
        space, tab = line.find(" "), line.find("\t")
        sep = space if space >= 0 else tab
        stops = sep < 0 or sep == len(line) - 1
        out.append(BlsLine(key, value, line_no, stops, not stops and line[:sep] != key))
    while out and not out[-1].key:
        out.pop()  # blank lines at the end: nothing follows them
    return out


def parse_grubenv(text: str) -> list[GrubenvVar]:
    """Read the variables of an environment block, as grub_envblk_iterate does."""
    if not text.startswith(SIGNATURE):
        first = text.split("\n", 1)[0]
        raise ParseError(GRUBENV, 1, first, f"no {SIGNATURE!r} signature: GRUB ignores this file")
    out = []
    pos, line_no = len(SIGNATURE), 1
    while pos < len(text):
        end = text.find("\n", pos)
        if text[pos] == "\n":
            pos, line_no = pos + 1, line_no + 1
            continue
        if text[pos] == "#":
            if end < 0:
                break
            pos, line_no = end + 1, line_no + 1
            continue
        eq = text.find("=", pos)
        line = text[pos:end if end >= 0 else len(text)]
        if eq < 0 or (0 <= end < eq):
            raise ParseError(GRUBENV, line_no, line, "a line without `=`, where GRUB stops reading")
        value, i = [], eq + 1
        while i < len(text) and text[i] != "\n":
            if text[i] == "\\" and i + 1 < len(text):
                i += 1
                line_no += text[i] == "\n"
            value.append(text[i])
            i += 1
        if i >= len(text):
            raise ParseError(GRUBENV, line_no, line, "a value not ended by a newline, where GRUB stops reading")
        out.append(GrubenvVar(text[pos:eq], "".join(value), line_no))
        pos, line_no = i + 1, line_no + 1
    return out


def _alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def vercmp(a: str, b: str) -> int:
    """Compare versions as rpm does (blscfg.c ``vercmp``): 1 when a is newer, -1 when b is, 0 when equal."""
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not _alnum(a[i]) and a[i] != "~":
            i += 1
        while j < len(b) and not _alnum(b[j]) and b[j] != "~":
            j += 1
        tilde_a, tilde_b = a[i:i + 1] == "~", b[j:j + 1] == "~"
        if tilde_a or tilde_b:  # a tilde sorts before everything else
            if not tilde_a:
                return 1
            if not tilde_b:
                return -1
            i, j = i + 1, j + 1
            continue
        if i >= len(a) or j >= len(b):
            break
        kind = str.isdigit if a[i].isdigit() else str.isalpha
        s1, s2 = i, j
        while i < len(a) and a[i].isascii() and kind(a[i]):
            i += 1
        while j < len(b) and b[j].isascii() and kind(b[j]):
            j += 1
        one, two = a[s1:i], b[s2:j]
        if not two:  # a numeric segment is newer than an alphabetic one
            return 1 if kind is str.isdigit else -1
        if kind is str.isdigit:
            one, two = one.lstrip("0"), two.lstrip("0")
            if len(one) != len(two):
                return 1 if len(one) > len(two) else -1
        if one != two:
            return 1 if one > two else -1
    if i >= len(a) and j >= len(b):
        return 0
    return -1 if i >= len(a) else 1


def _split(nvr: str) -> tuple[str, str, str]:
    """blscfg.c split_package_string: name-version-release, split at the last two dashes."""
    name, _, release = nvr.rpartition("-")
    if not _:
        return nvr, "", ""
    name2, _, version = name.rpartition("-")
    if not _:
        return name, release, ""
    return name2, version, release


def newer(id0: str, id1: str) -> int:
    """Compare two entry ids (file names without .conf) as blscfg.c bls_cmp: 1 when id0 sorts first."""
    for x, y in zip(_split(id0), _split(id1), strict=True):
        r = vercmp(x, y)
        if r:
            return r
    return 0


def expand(value: str, env: dict[str, str]) -> tuple[str, str]:
    """Put grubenv values in for ``$name`` (blscfg.c expand_val); returns (text, '') or ('', the reason it cannot)."""
    if "${" in value or "\\$" in value:
        return "", f"uses {'${...}' if '${' in value else 'an escaped $'}, which blscfg does not expand like a shell"
    missing = [m for m in re.findall(r"\$([A-Za-z0-9_]*)", value) if m not in env]
    if missing:
        return "", f"uses ${missing[0]}, which the environment block does not set (grub.cfg may, or nothing does)"
    return re.sub(r"\$([A-Za-z0-9_]*)", lambda m: env[m.group(1)], value), ""
