"""Parser for GRUB legacy (0.9x) menus: ``/boot/grub/grub.conf`` and ``/boot/grub/menu.lst``.

grub.conf on Red Hat and CentOS 5/6 (where menu.lst links to it), menu.lst on old Debian and SUSE.

Read as GRUB's stage2 reads them (grub-0.97 stage2/stage2.c ``get_line_from_config`` and
``cmain``, stage2/cmdline.c ``find_command``/``skip_to``): tabs are blanks, a backslash before
the newline joins the next line, a line whose first non-blank is ``#`` is a comment (a ``#``
later on a line is an argument), a command's name ends at a blank or ``=`` (``default=0`` and
``default 0`` are the same), ``title`` starts an entry, and what comes before the first title
is global (``default``, ``fallback``, ``timeout``, ``hiddenmenu``...)::

    default=0
    timeout=5
    title CentOS (3.18.25-19.el6.x86_64)
            root (hd0,0)
            kernel /xen.gz dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1
            module /vmlinuz-3.18.25-19.el6.x86_64 ro root=/dev/mapper/VolGroup-lv_root rhgb quiet
            module /initramfs-3.18.25-19.el6.x86_64.img

Records (:class:`LegacyBlock`, in file order: the global block first, title None, then one per
``title``)::

    title: str | None
    line_no: int                    # the title line (1 for the global block)
    commands: tuple[LegacyCommand, ...]   # name, args (as GRUB passes them on), line_no

:func:`next_boot` applies GRUB's rules for the default entry (a title without commands is no
entry; ``default`` past the last entry falls back to ``fallback``, else to entry 0) and says
when they cannot be applied (``default saved``: the saved entry number lives outside this file).
:func:`command_lines` reads an entry's Linux or Xen command lines. Raises ParseError for GRUB 2
syntax (``menuentry``, braces), which GRUB legacy cannot read.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "grub_legacy"
_GRUB2 = re.compile(r"^(menuentry|submenu|insmod|set|if|fi|\{|\})(\s|$)")
_MODULES = ("module", "modulenounzip")


@dataclass(frozen=True, slots=True)
class LegacyCommand:
    """One command line: ``kernel /vmlinuz ro quiet`` is name ``kernel``, args ``/vmlinuz ro quiet``."""

    name: str
    args: str
    line_no: int


@dataclass(frozen=True, slots=True)
class LegacyBlock:
    """The global commands (title None) or one ``title`` entry with its commands."""

    title: str | None
    line_no: int
    commands: tuple[LegacyCommand, ...]


@dataclass(frozen=True, slots=True)
class LegacyChoice:
    """The entry the next boot starts, how GRUB got there; or ``unknown`` saying why it cannot be told."""

    entry: LegacyBlock | None
    how: str
    unknown: str = ""


@dataclass(frozen=True, slots=True)
class EntryLines:
    """What an entry puts on the Linux and the Xen command line (with the file line of each).

    None where the entry starts no such program (``why_not`` says why); ``cannot`` non-empty:
    nothing can be told about this entry.
    """

    linux: str | None
    linux_line: int
    xen: str | None
    xen_line: int
    why_not: str = ""
    cannot: str = ""


def _lines(text: str) -> list[tuple[int, str]]:
    """Logical lines as stage2 sees them: tabs as blanks, backslash-newline joined, comments dropped."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for line_no, raw in enumerate(text.replace("\r", "").split("\n"), start=1):
        line = raw.replace("\t", " ")
        if not buf:
            start = line_no
            line = line.lstrip(" ")
            if not line or line.startswith("#"):
                continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            buf += line[:-1] + " "
            continue
        out.append((start, buf + line))
        buf = ""
    if buf.strip():
        out.append((start, buf))
    return out


def parse(text: str) -> list[LegacyBlock]:
    """Split a GRUB legacy menu into its global block and its entries."""
    blocks: list[LegacyBlock] = []
    title: str | None = None
    title_line, commands = 1, list[LegacyCommand]()
    for line_no, line in _lines(text):
        if _GRUB2.match(line):
            raise ParseError(NAME, line_no, line, "GRUB 2 syntax, which GRUB legacy cannot read")
        end = next((i for i, c in enumerate(line) if c in " ="), len(line))
        name, args = line[:end], line[end:].lstrip(" =").rstrip(" ")
        if name == "title":
            blocks.append(LegacyBlock(title, title_line, tuple(commands)))
            title, title_line, commands = args, line_no, []
        else:
            commands.append(LegacyCommand(name, args, line_no))
    blocks.append(LegacyBlock(title, title_line, tuple(commands)))
    return blocks


def _number(args: str) -> int | None:
    """GRUB's safe_parse_maxint: decimal or 0x hex digits at the start, else None."""
    m = re.match(r"0[xX]([0-9a-fA-F]+)|([0-9]+)", args)
    if not m:
        return None
    return int(m.group(1), 16) if m.group(1) else int(m.group(2))


def next_boot(blocks: list[LegacyBlock]) -> LegacyChoice:
    """The entry GRUB boots when nobody touches the keyboard (stage2.c cmain's default rules)."""
    entries = [b for b in blocks if b.title is not None and b.commands]
    default, how, fallback = 0, "no `default` command: entry 0", []
    for cmd in blocks[0].commands if blocks and blocks[0].title is None else ():
        if cmd.name == "default":
            if cmd.args.startswith("saved"):
                return LegacyChoice(None, "", f"`default saved` (line {cmd.line_no}): the entry savedefault stored lives "
                                              "outside this file (/boot/grub/default or stage2 itself)")
            number = _number(cmd.args)
            if number is None:
                how = f"`default {cmd.args[:40]}` (line {cmd.line_no}) is not a number, which GRUB ignores: entry {default}"
            else:
                default, how = number, f"default={number} (line {cmd.line_no})"
        elif cmd.name == "fallback":
            fallback = [n for n in map(_number, cmd.args.split()) if n is not None]
    if not entries:
        return LegacyChoice(None, "", "no boot entry (a `title` with commands)")
    if default >= len(entries):
        valid = [n for n in fallback if n < len(entries)]
        default = valid[0] if valid else 0
        how += f", past the last of {len(entries)} entries: GRUB takes {'the fallback' if valid else 'entry 0'}, entry {default}"
    entry = entries[default]
    return LegacyChoice(entry, f"{how}: title {entry.title!r} (line {entry.line_no})")


def _image(args: str) -> tuple[str, str]:
    """Split ``[--type=T] [--no-mem-option] FILE ARGS`` into the file and the arguments."""
    words = args.split(" ")
    while words and (words[0].startswith("--") or not words[0]):
        words.pop(0)
    if not words:
        return "", ""
    return words[0], " ".join(words[1:]).strip(" ")


def _is_xen(path: str) -> bool:
    """Xen's image by its name: xen.gz, xen-4.4.4-1.el6.gz, xen.gz-2.6.18-164.el5 (after a device like (hd0,0))."""
    return re.match(r"xen([.-]|$)", posixpath.basename(path.split(")", 1)[-1])) is not None


def command_lines(entry: LegacyBlock) -> EntryLines:
    """The Linux and Xen command lines of one entry.

    ``kernel FILE ARGS`` boots Linux with ARGS (boot.c copies what follows the file name). When
    FILE is Xen (``/xen.gz``, ``/xen-4.4.4.gz``, ``/xen.gz-2.6.18-164.el5``), ARGS are the
    hypervisor's and the first ``module`` is the Dom0 kernel with its own (Xen drops the file
    name from each multiboot string). Another multiboot kernel with modules (tboot...) is not read.
    """
    kernels = [c for c in entry.commands if c.name == "kernel"]
    modules = [c for c in entry.commands if c.name in _MODULES]
    if not kernels:
        starts = next((c.name for c in entry.commands if c.name in ("chainloader", "configfile", "makeactive")), "no kernel line")
        return EntryLines(None, 0, None, 0, why_not=f"it boots no Linux kernel ({starts})")
    kernel = kernels[-1]
    path, args = _image(kernel.args)
    if not path:
        return EntryLines(None, 0, None, 0, cannot=f"its kernel line (line {kernel.line_no}) names no file")
    if not _is_xen(path):
        if modules:
            return EntryLines(None, 0, None, 0, cannot=f"its kernel {path} (line {kernel.line_no}) is not Xen but loads "
                                                       "modules: hwcompat does not read such multiboot entries")
        return EntryLines(args, kernel.line_no, None, 0, why_not=f"it boots {path} without Xen")
    if not modules:
        return EntryLines(None, 0, None, 0, cannot=f"it starts Xen (line {kernel.line_no}) without a Dom0 kernel module")
    _, dom0_args = _image(modules[0].args)
    return EntryLines(dom0_args, modules[0].line_no, args, kernel.line_no)
