"""Boot facts: what the kernel runs with now and what it will boot with next time.

Running: /proc/cmdline, the kernel build configuration, /proc/swaps. Configured: the GRUB
defaults (/etc/default/grub, then /etc/default/grub.d/*.cfg, as update-grub sources them) and
the modules listed to load at boot (/etc/modules, /etc/modules-load.d/*.conf).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass

from hwcompat.errors import FactUnavailable
from hwcompat.facts import Unknown, parse_with_origin, read
from hwcompat.parsers import cmdline, grub_default, kernel_config, modules_load, proc_swaps
from hwcompat.parsers.cmdline import CmdlineParam
from hwcompat.parsers.grub_default import GrubValue
from hwcompat.parsers.proc_swaps import SwapArea
from hwcompat.sources.base import FactSource

CMDLINE = "/proc/cmdline"
SWAPS = "/proc/swaps"
GRUB = "/etc/default/grub"
GRUB_D = "/etc/default/grub.d"
MODULES_FILE = "/etc/modules"
MODULES_LOAD_D = "/etc/modules-load.d"
OSRELEASE = "/proc/sys/kernel/osrelease"


@dataclass(frozen=True, slots=True)
class BootFacts:
    """Running and configured boot state; each part is Unknown when it cannot be read."""

    cmdline: tuple[CmdlineParam, ...] | Unknown
    config: dict[str, str] | Unknown
    config_origin: str
    swaps: tuple[SwapArea, ...] | Unknown
    grub: dict[str, GrubValue] | Unknown
    boot_modules: dict[str, str] | Unknown  # module -> file:line that lists it
    origin: str

    def grub_words(self, *names: str) -> list[CmdlineParam] | Unknown:
        """The parameters the named GRUB variables put on the command line, or Unknown."""
        if isinstance(self.grub, Unknown):
            return self.grub
        words: list[CmdlineParam] = []
        for name in names:
            value = self.grub.get(name)
            if value is None:
                continue
            if value.value is None:
                return Unknown(f"{name} cannot be known: {value.reason} ({value.where})")
            words += cmdline.parse(value.value)
        return words


def _config(source: FactSource, release: str | Unknown) -> tuple[dict[str, str] | Unknown, str]:
    tried = []
    if isinstance(release, str):
        path = f"/boot/config-{release}"
        text = read(source, path)
        if isinstance(text, str):
            opts = parse_with_origin(kernel_config.parse, text, source.where(path))
            return {o.name: o.value for o in opts}, source.where(path)
        tried.append(text.reason)
    try:
        data = source.read_bytes("/proc/config.gz")
    except FactUnavailable as err:
        data = None
        tried.append(err.reason)
    else:
        if data is None:
            tried.append("/proc/config.gz does not exist")
    if data is not None:
        try:
            text = gzip.decompress(data).decode("utf-8", "replace")
        except (OSError, EOFError, zlib.error) as err:
            return Unknown(f"/proc/config.gz is not readable gzip: {err}"), source.where("/proc/config.gz")
        opts = parse_with_origin(kernel_config.parse, text, source.where("/proc/config.gz"))
        return {o.name: o.value for o in opts}, source.where("/proc/config.gz")
    return Unknown("no kernel config: " + "; ".join(tried)), ""


def _grub(source: FactSource) -> dict[str, GrubValue] | Unknown:
    text = read(source, GRUB)
    if isinstance(text, Unknown):
        return text
    files = [(GRUB, text)]
    try:
        extra = source.list_dir(GRUB_D) or []
    except FactUnavailable as err:
        # a .cfg there may override what /etc/default/grub says: without it the result is not known
        return Unknown(f"{err.reason}, so the final GRUB values cannot be known")
    for name in extra:
        if name.endswith(".cfg"):
            more = read(source, f"{GRUB_D}/{name}")
            if isinstance(more, Unknown):
                return more
            files.append((f"{GRUB_D}/{name}", more))
    pairs = []
    for path, body in files:
        pairs += [(path, a) for a in parse_with_origin(grub_default.parse, body, source.where(path))]
    return grub_default.evaluate(pairs)


def _boot_modules(source: FactSource) -> dict[str, str] | Unknown:
    found: dict[str, str] = {}
    paths = [MODULES_FILE]
    try:
        paths += [f"{MODULES_LOAD_D}/{n}" for n in source.list_dir(MODULES_LOAD_D) or [] if n.endswith(".conf")]
    except FactUnavailable as err:
        return Unknown(err.reason)
    seen_any = False
    for path in paths:
        text = read(source, path)
        if isinstance(text, Unknown):
            if "does not exist" in text.reason:
                continue
            return text
        seen_any = True
        for line in modules_load.parse(text):
            found.setdefault(line.name, f"{path}:{line.line_no}")
    if not seen_any:
        return {}
    return found


def collect(source: FactSource) -> BootFacts:
    """Read the running and the configured boot state."""
    text = read(source, CMDLINE)
    params: tuple[CmdlineParam, ...] | Unknown = (
        tuple(parse_with_origin(cmdline.parse, text, source.where(CMDLINE))) if isinstance(text, str) else text)
    release_text = read(source, OSRELEASE)
    release = release_text.strip() if isinstance(release_text, str) else release_text
    config, config_origin = _config(source, release)
    swaps_text = read(source, SWAPS)
    swaps: tuple[SwapArea, ...] | Unknown = (
        tuple(parse_with_origin(proc_swaps.parse, swaps_text, source.where(SWAPS))) if isinstance(swaps_text, str) else swaps_text)
    return BootFacts(params, config, config_origin, swaps, _grub(source), _boot_modules(source), source.where(CMDLINE))
