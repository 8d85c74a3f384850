"""Parser for ``/lib/modules/RELEASE/modules.builtin`` and ``modules.dep``.

Input: one module path a line; ``modules.dep`` adds ``: dependencies`` after it::

    kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko: kernel/drivers/ptp/ptp.ko
    kernel/drivers/i2c/busses/i2c-i801.ko.xz:

Records (:class:`ModuleFile`)::

    name: str      # the module name as the kernel knows it: basename, no .ko[.xz|.gz|.zst], '-' -> '_'
    path: str      # as written

Raises ParseError for a line whose path does not end in ``.ko`` (optionally compressed).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "modules_list"
_KO = re.compile(r"\.ko(\.(xz|gz|zst))?$")


@dataclass(frozen=True, slots=True)
class ModuleFile:
    """A module named in modules.builtin or modules.dep."""

    name: str
    path: str


def module_name(text: str) -> str:
    """Kernel module names use '_' where file names may use '-' (``i2c-i801`` is ``i2c_i801``)."""
    return text.replace("-", "_")


def parse(text: str) -> list[ModuleFile]:
    """Parse modules.builtin or modules.dep text."""
    records = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        path = line.split(":", 1)[0].strip()
        if not path:
            continue
        base = posixpath.basename(path)
        m = _KO.search(base)
        if not m:
            raise ParseError(NAME, line_no, line, "expected a path ending in .ko")
        records.append(ModuleFile(module_name(base[: m.start()]), path))
    return records
