"""Parsers: pure functions from a file's or command's text to records, or ParseError.

``PARSERS`` names every parser; each must have recorded pairs in selftests/data/parsers/.
"""

from __future__ import annotations

from collections.abc import Callable

from hwcompat.parsers import modules_list, proc_cpuinfo, proc_meminfo, proc_modules, sysfs_pci

PARSERS: dict[str, Callable[..., object]] = {
    proc_cpuinfo.NAME: proc_cpuinfo.parse,
    proc_modules.NAME: proc_modules.parse,
    proc_meminfo.NAME: proc_meminfo.parse,
    modules_list.NAME: modules_list.parse,
    sysfs_pci.NAME: sysfs_pci.parse,
}
