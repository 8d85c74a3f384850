"""Parser for ``/proc/cpuinfo``.

Input: the file as the kernel prints it, one block per logical CPU, blocks separated by blank
lines, each line ``key<TAB>: value`` (some keys have no value: ``power management:``)::

    processor	: 0
    vendor_id	: GenuineIntel
    cpu family	: 6
    model		: 60
    model name	: Intel(R) Xeon(R) CPU E3-1265L v3 @ 2.50GHz
    stepping	: 3
    microcode	: 0x17
    cache size	: 8192 KB
    flags		: fpu de tsc ... avx2 bmi2 erms rtm

Records (:class:`CpuInfoBlock`, one per block, in order)::

    processor: int | None        # None for blocks without one (ARM "Hardware" trailer)
    vendor_id: str | None
    model_name: str | None
    family: int | None           # "cpu family"
    model: int | None
    stepping: int | None
    microcode: int | None        # "0x17" (hex) or "23" (decimal, pre-3.x kernels)
    cache_size_kb: int | None    # "8192 KB"
    flags: tuple[str, ...]       # "flags" (x86) or "Features" (ARM)
    fields: tuple[tuple[str, str], ...]   # every key/value as written

Raises ParseError for a line without a colon, or a number field that is not a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "proc_cpuinfo"


@dataclass(frozen=True, slots=True)
class CpuInfoBlock:
    """One logical CPU's block of /proc/cpuinfo."""

    processor: int | None
    vendor_id: str | None
    model_name: str | None
    family: int | None
    model: int | None
    stepping: int | None
    microcode: int | None
    cache_size_kb: int | None
    flags: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]


def _number(value: str, line_no: int, line: str, base: int = 10) -> int:
    try:
        return int(value, 16 if value.lower().startswith("0x") else base)
    except ValueError:
        raise ParseError(NAME, line_no, line, "expected a number") from None


def _block(pairs: list[tuple[int, str, str, str]]) -> CpuInfoBlock:
    values: dict[str, tuple[int, str, str]] = {}
    for line_no, line, key, value in pairs:
        values.setdefault(key, (line_no, line, value))

    def num(key: str) -> int | None:
        if key not in values or values[key][2] == "":
            return None
        line_no, line, value = values[key]
        if key == "cache size":
            head = value.split()[0] if value.split() else ""
            return _number(head, line_no, line)
        return _number(value, line_no, line)

    def text(key: str) -> str | None:
        return values[key][2] if key in values else None

    flags = text("flags") if "flags" in values else text("Features")
    return CpuInfoBlock(
        processor=num("processor"),
        vendor_id=text("vendor_id"),
        model_name=text("model name"),
        family=num("cpu family"),
        model=num("model"),
        stepping=num("stepping"),
        microcode=num("microcode"),
        cache_size_kb=num("cache size"),
        flags=tuple((flags or "").split()),
        fields=tuple((k, v) for _, _, k, v in pairs),
    )


def parse(text: str) -> list[CpuInfoBlock]:
    """Parse /proc/cpuinfo text into one record per block."""
    blocks: list[CpuInfoBlock] = []
    pairs: list[tuple[int, str, str, str]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if pairs:
                blocks.append(_block(pairs))
                pairs = []
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise ParseError(NAME, line_no, line, "expected 'key : value'")
        pairs.append((line_no, line, key.strip(), value.strip()))
    if pairs:
        blocks.append(_block(pairs))
    return blocks
