"""The next boot's command lines, read from whichever boot loader configuration the machine has.

Three kinds are read, each through the FactSource (a snapshot records what was looked at):

- GRUB 2 defaults: ``/etc/default/grub``, then ``/etc/default/grub.d/*.cfg``, as update-grub
  sources them (grub-mkconfig). GRUB_CMDLINE_LINUX[_DEFAULT] go to every Linux entry,
  GRUB_CMDLINE_XEN[_DEFAULT] to every Xen entry, whose Linux gets
  GRUB_CMDLINE_LINUX_XEN_REPLACE[_DEFAULT] instead when set (Debian's 20_linux_xen). Which
  entry GRUB_DEFAULT picks is not modelled: these variables reach every entry of their kind.
- GRUB legacy menus: ``/boot/grub/grub.conf`` and ``/boot/grub/menu.lst`` (CentOS/RHEL 5-6,
  old Debian): the default entry's ``kernel`` line, or for Xen ``kernel /xen.gz ...`` and the
  Dom0 ``module`` (:mod:`hwcompat.parsers.grub_legacy`).
- BootLoaderSpec entries: ``/boot/loader/entries/*.conf`` with ``/boot/grub2/grubenv``, as
  Fedora's and RHEL 8+'s GRUB ``blscfg`` boots them (rhboot/grub2 grub-core/commands/blscfg.c):
  the default is grubenv's ``next_entry`` (one boot), else GRUB_DEFAULT (``saved``: grubenv's
  ``saved_entry``), matched by index, file name or title among the entries ordered newest
  first; its first ``options`` line, with ``$var`` from grubenv. blscfg makes Linux entries
  only (Xen entries come from grub.cfg's 20_linux_xen, which is not read).

Which of them the machine boots from: with GRUB_ENABLE_BLSCFG=true, the entries (grub2-mkconfig
no longer writes GRUB_CMDLINE_LINUX into them, rhboot/grub2 pull 126); otherwise every
configuration present counts, and a check passes or fails only when they all agree. What cannot
be read or told (an unreadable file, ``default saved``, a saved entry not among the entries, a
``$var`` grubenv does not set) is Unknown with the file and the reason. Not read: grub.cfg
itself, systemd-boot's loader.conf and entries on an ESP, other boot loaders.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown, parsed, read
from hwcompat.parsers import bls, cmdline, grub_default, grub_legacy
from hwcompat.parsers.cmdline import CmdlineParam
from hwcompat.parsers.grub_default import GrubValue
from hwcompat.sources.base import FactSource

GRUB = "/etc/default/grub"
GRUB_D = "/etc/default/grub.d"
LEGACY = ("/boot/grub/grub.conf", "/boot/grub/menu.lst")
BLS_DIR = "/boot/loader/entries"
GRUBENV = "/boot/grub2/grubenv"
LINUX_VARS = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")
XEN_VARS = ("GRUB_CMDLINE_XEN", "GRUB_CMDLINE_XEN_DEFAULT")
REPLACE_VARS = ("GRUB_CMDLINE_LINUX_XEN_REPLACE", "GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT")
LOOKED_AT = f"{GRUB}, {LEGACY[0]}, {LEGACY[1]}, {BLS_DIR}/*.conf"

Params = tuple[CmdlineParam, ...]
Values = dict[str, GrubValue]


@dataclass(frozen=True, slots=True)
class NextBoot:
    """One boot loader configuration the machine may boot from next, and what it gives each program.

    ``loader`` names it with its file. ``linux``/``xen``: the parameters the Linux kernel (the
    Dom0 kernel under Xen) and the hypervisor get; None when this boot does not start that
    program (``linux_from``/``xen_from`` then say why), else those fields say where the
    parameters are set, file included. ``apply``: what makes an edit count ("" when the boot
    loader reads the file itself).
    """

    loader: str
    apply: str
    linux: Params | Unknown | None
    linux_from: str
    xen: Params | Unknown | None
    xen_from: str


def _params(text: str, origin: str) -> Params | Unknown:
    found = parsed(cmdline.parse, text, origin)
    return found if isinstance(found, Unknown) else tuple(found)


def _grub_values(source: FactSource) -> Values | Unknown | None:
    """The final values of /etc/default/grub and grub.d/*.cfg; None when there is no /etc/default/grub."""
    text = read(source, GRUB)
    if isinstance(text, Unknown):
        return None if text.missing else text
    files = [(GRUB, text)]
    try:
        extra = source.list_dir(GRUB_D) or []
    except CannotCheck as err:
        # a .cfg there may override what /etc/default/grub says: without it the result is not known
        return Unknown(f"{err.reason}, so the final GRUB values cannot be known")
    for name in extra:
        if name.endswith(".cfg") and not name.startswith("."):  # update-grub sources grub.d/*.cfg: the shell glob skips dot-files
            more = read(source, f"{GRUB_D}/{name}")
            if isinstance(more, Unknown):
                return more
            files.append((f"{GRUB_D}/{name}", more))
    pairs = []
    for path, body in files:
        assignments = parsed(grub_default.parse, body, source.where(path))
        if isinstance(assignments, Unknown):
            return assignments
        pairs += [(path, a) for a in assignments]
    return grub_default.evaluate(pairs)


def _words(values: Values, names: tuple[str, ...]) -> Params | Unknown:
    words: list[CmdlineParam] = []
    for name in names:
        value = grub_default.lookup(values, name)
        if value is None:
            continue
        if value.value is None:
            return Unknown(f"{name} cannot be known: {value.reason} ({value.where})")
        more = _params(value.value, f"{name} ({value.where})")
        if isinstance(more, Unknown):
            return more
        words += more
    return tuple(words)


def _file(values: Values, names: tuple[str, ...]) -> str:
    """The file that sets these variables last (the one to edit), /etc/default/grub when none does."""
    wheres = [v.where.rsplit(":", 1)[0] for n in names if (v := values.get(n)) is not None]
    return wheres[-1] if wheres else GRUB


def _variables(values: Values, names: tuple[str, ...]) -> str:
    return f"{' or '.join(names)} in {_file(values, names)}"


def _grub2(values: Values) -> list[NextBoot]:
    linux, xen = _words(values, LINUX_VARS), _words(values, XEN_VARS)
    xen_from = _variables(values, XEN_VARS)
    plain = NextBoot(f"GRUB 2 ({GRUB})", "run update-grub", linux, _variables(values, LINUX_VARS), xen, xen_from)
    replaced = []
    for name, base in zip(REPLACE_VARS, LINUX_VARS, strict=True):
        value = grub_default.lookup(values, name)
        replaced.append(name if value is not None and value.value != "" else base)
    if replaced == list(LINUX_VARS):
        return [plain]
    dom0 = NextBoot(f"GRUB 2 ({GRUB}), its Xen entries", "run update-grub", _words(values, tuple(replaced)),
                    _variables(values, tuple(replaced)), xen, xen_from)
    return [dom0, NextBoot(f"GRUB 2 ({GRUB}), its Linux entries", plain.apply, linux, plain.linux_from, xen, xen_from)]


def _legacy(source: FactSource) -> list[NextBoot] | Unknown:
    texts: dict[str, str] = {}
    for path in LEGACY:
        text = read(source, path)
        if isinstance(text, Unknown):
            if text.missing:
                continue
            return text
        if text not in texts.values():  # menu.lst is a link to grub.conf on Red Hat
            texts[path] = text
    return [_legacy_boot(source, path, text) for path, text in texts.items()]


def _legacy_boot(source: FactSource, path: str, text: str) -> NextBoot:
    blocks = parsed(grub_legacy.parse, text, source.where(path))
    if isinstance(blocks, Unknown):
        return NextBoot(f"GRUB legacy ({path})", "", blocks, "", blocks, "")
    choice = grub_legacy.next_boot(blocks)
    if choice.entry is None:
        unknown = Unknown(f"which entry of {path} boots next cannot be told: {choice.unknown}")
        return NextBoot(f"GRUB legacy ({path})", "", unknown, "", unknown, "")
    lines = grub_legacy.command_lines(choice.entry)
    if lines.cannot:
        unknown = Unknown(f"the default entry of {path} ({choice.how}) cannot be read: {lines.cannot}")
        return NextBoot(f"GRUB legacy ({path})", "", unknown, "", unknown, "")
    why_not = f"the default entry of {path} ({choice.how}): {lines.why_not}"
    linux: Params | Unknown | None = None
    xen: Params | Unknown | None = None
    linux_from = xen_from = why_not
    if lines.linux is not None:
        linux = _params(lines.linux, f"{path}:{lines.linux_line}")
        what = "module" if lines.xen is not None else "kernel"
        linux_from = f"the {what} line of the default entry ({path}:{lines.linux_line}, {choice.how})"
    if lines.xen is not None:
        xen = _params(lines.xen, f"{path}:{lines.xen_line}")
        xen_from = f"the kernel line of the default entry ({path}:{lines.xen_line}, {choice.how})"
    return NextBoot(f"GRUB legacy ({path})", "", linux, linux_from, xen, xen_from)


@dataclass(frozen=True, slots=True)
class _Entry:
    id: str
    lines: tuple[bls.BlsLine, ...]   # what GRUB reads: up to where blscfg stops
    rest: tuple[bls.BlsLine, ...]    # what the BLS spec reads beyond that

    def get(self, key: str) -> list[bls.BlsLine]:
        return [line for line in self.lines if line.key == key]


def _grubenv(source: FactSource) -> dict[str, str] | Unknown:
    text = read(source, GRUBENV)
    if isinstance(text, Unknown):
        return {} if text.missing else text
    found = parsed(bls.parse_grubenv, text, source.where(GRUBENV))
    return found if isinstance(found, Unknown) else {v.name: v.value for v in found}


def _bls_entries(source: FactSource) -> list[_Entry] | Unknown | None:
    try:
        names = source.list_dir(BLS_DIR)
    except CannotCheck as err:
        return Unknown(err.reason)
    confs = [n for n in names or () if n.endswith(".conf") and len(n) > 5 and not n.startswith(".")]
    if not confs:
        return None
    entries = []
    for name in confs:
        path = f"{BLS_DIR}/{name}"
        lines = parsed(bls.parse, read(source, path), source.where(path))
        if isinstance(lines, Unknown):
            return lines
        stop = next((i for i, line in enumerate(lines) if line.grub_stops), len(lines))
        entries.append(_Entry(name[:-5], tuple(lines[:stop]), tuple(lines[stop:])))
    menu = [e for e in entries if e.get("linux")]  # blscfg skips an entry without `linux`
    return sorted(menu, key=functools.cmp_to_key(_newest_first))


def _newest_first(a: _Entry, b: _Entry) -> int:
    return -bls.newer(a.id, b.id)


def _bls_default(entries: list[_Entry], env: dict[str, str], values: Values | None) -> tuple[_Entry | None, str]:
    """The entry GRUB starts by default and how it was chosen, or None and why it cannot be told."""
    if env.get("next_entry"):
        wanted, how = env["next_entry"], f"next_entry={env['next_entry']!r} in {GRUBENV}, for one boot"
    elif values is None:
        return None, (f"there is no {GRUB}: which boot loader reads {BLS_DIR} and which entry it starts cannot be told "
                      "(systemd-boot's loader.conf is not read)")
    else:
        default = grub_default.lookup(values, "GRUB_DEFAULT")
        if default is not None and default.value is None:
            return None, f"GRUB_DEFAULT cannot be known: {default.reason} ({default.where})"
        if default is not None and default.value == "saved":
            wanted, how = env.get("saved_entry", ""), f"GRUB_DEFAULT=saved ({default.where}), saved_entry in {GRUBENV}"
        else:
            wanted = default.value or "0" if default is not None else "0"
            how = f"GRUB_DEFAULT={wanted} ({default.where})" if default is not None else "GRUB_DEFAULT not set: entry 0"
    if wanted == "":
        wanted, how = "0", f"{how} is empty: entry 0"
    if wanted.isdigit():
        index = int(wanted)
        chosen = entries[index] if index < len(entries) else None
    else:
        chosen = next((e for e in entries if e.id == wanted or any(t.value == wanted for t in e.get("title"))), None)
    if chosen is None:
        return None, (f"{how} names no entry of {BLS_DIR} ({wanted!r}): it may be a menu entry grub.cfg makes itself "
                      "(Xen's come from 20_linux_xen), which hwcompat does not read")
    return chosen, f"{how}: {chosen.id}"


def _bls(source: FactSource, values: Values | None) -> NextBoot | Unknown | None:
    entries = _bls_entries(source)
    if entries is None or isinstance(entries, Unknown):
        return entries
    env = _grubenv(source)
    if isinstance(env, Unknown):
        return env
    entry, how = _bls_default(entries, env, values)
    if entry is None:
        return Unknown(f"which entry of {BLS_DIR} boots next cannot be told: {how}")
    path = f"{BLS_DIR}/{entry.id}.conf"
    lost = [line for line in entry.rest if line.key in ("options", "linux", "multiboot", "module")]
    odd = [line for line in entry.lines if line.grub_differs and line.key in ("options", "linux")]
    options = entry.get("options")
    reason = ""
    if lost:
        reason = (f"GRUB's blscfg stops reading at line {entry.rest[0].line_no} (a blank line or a key without a value), "
                  f"before the {lost[0].key} line {lost[0].line_no}, which the BootLoaderSpec reads")
    elif odd:
        reason = f"line {odd[0].line_no} has a tab before its first space: GRUB's blscfg splits it at the space"
    elif entry.get("multiboot") or entry.get("module"):
        reason = "it has multiboot/module lines, which GRUB's blscfg ignores and hwcompat does not model"
    elif not options:
        reason = "it has no options line: GRUB then uses default_kernelopts from grub.cfg, which hwcompat does not read"
    elif len(options) > 1:
        reason = f"it has {len(options)} options lines: GRUB's blscfg uses the first, the BootLoaderSpec joins them"
    else:
        text, reason = bls.expand(options[0].value, env)
    if reason:
        unknown = Unknown(f"the default entry {path} ({how}) cannot be read: {reason}")
        return NextBoot(f"BootLoaderSpec ({path})", "", unknown, "", unknown, "")
    line = options[0].line_no
    via = f" with $kernelopts from {GRUBENV}" if "$kernelopts" in options[0].value else ""
    return NextBoot(f"BootLoaderSpec ({path})", "", _params(text, f"{path}:{line}"),
                    f"the options line of the default entry ({path}:{line}{via}; {how})", None,
                    f"the default entry {path} ({how}) boots Linux without Xen: GRUB's blscfg makes Linux entries only")


def collect(source: FactSource) -> tuple[NextBoot, ...] | Unknown:
    """Every boot loader configuration the next boot may come from (see the module docstring)."""
    values = _grub_values(source)
    if isinstance(values, Unknown):
        return values
    legacy = _legacy(source)
    if isinstance(legacy, Unknown):
        return legacy
    found = _bls(source, values)
    boots = list(legacy)
    blscfg = None if values is None else grub_default.lookup(values, "GRUB_ENABLE_BLSCFG")
    if values is not None and not (found is not None and blscfg is not None and blscfg.value == "true"):
        boots += _grub2(values)
    if isinstance(found, NextBoot):
        boots.append(found)
    elif isinstance(found, Unknown):
        boots.append(NextBoot(f"BootLoaderSpec ({BLS_DIR})", "", found, "", found, ""))
    if not boots:
        return Unknown(f"no boot loader configuration found: looked at {LOOKED_AT}")
    return tuple(boots)
