"""Draft a profile from a machine's facts (``hwcompat capture``).

The draft says what the machine has: every PCI device with its slot, driver, subsystem, class and
parent bridge; the CPU identity and every flag; loaded modules; DMI strings; memory. With
``extends``, it keeps only what the extended profiles do not already say correctly about this
machine, and relaxes what they say that is not true here (a missing device becomes optional, a
missing flag ignored). :func:`finish` then proves the result passes against the same facts.
"""

from __future__ import annotations

import math
from typing import Any

from hwcompat.facts import FactCache, Unknown
from hwcompat.matchers import version_tuple
from hwcompat.plan import evaluate
from hwcompat.profile.model import DMI_FIELDS, Profile
from hwcompat.results import CheckResult


def _short(slot: str | None) -> str | None:
    return slot[5:] if slot and slot.startswith("0000:") else slot


def draft(facts: FactCache, name: str) -> dict[str, Any]:
    """Profile data describing exactly the machine behind ``facts`` (Unknown facts are left out)."""
    data: dict[str, Any] = {"name": name, "description": f"captured from {facts.source.location or 'a live machine'}"}
    dmi = facts.get("dmi")
    if not isinstance(dmi, Unknown):
        known = {f: dmi.get(f) for f in DMI_FIELDS if isinstance(dmi.get(f), str)}
        if known:
            data["dmi"] = known
    memory = facts.get("memory")
    if not isinstance(memory, Unknown):
        data["memory"] = {"total_mb": {"min": math.floor(memory.total_mb * 0.95), "max": math.ceil(memory.total_mb * 1.05)}}
    pci = facts.get("pci")
    if not isinstance(pci, Unknown):
        devices: dict[str, Any] = {}
        for d in pci.devices:
            entry: dict[str, Any] = {"driver": d.driver}
            if d.subsystem_vendor and d.subsystem_device:
                entry["subsystem"] = f"{d.subsystem_vendor}:{d.subsystem_device}"
            entry["class"] = d.class_code[:4]
            entry["behind"] = _short(d.parent)
            devices[f"{d.id}@{_short(d.slot)}"] = entry
        data["pci"] = {"unlisted_devices": "report", "devices": devices}
    cpu = facts.get("cpu")
    if not isinstance(cpu, Unknown):
        section: dict[str, Any] = {}
        for field in ("vendor_id", "model_name", "family", "model", "stepping", "cache_size_kb"):
            if getattr(cpu, field) is not None:
                section[field] = getattr(cpu, field)
        if cpu.microcode is not None:
            section["microcode"] = {"min": cpu.microcode}
        section["logical_cpus"] = cpu.logical_cpus
        section["flags"] = dict.fromkeys(sorted(cpu.flags), "required")
        data["cpu"] = section
    xen = facts.get("xen")
    if not isinstance(xen, Unknown) and xen.role in ("dom0", "domU"):
        section_xen: dict[str, Any] = {"role": xen.role}
        v = xen.version_tuple()
        if v and len(v) >= 2:
            section_xen["version"] = {"version": f">={v[0]}.{v[1]},<{v[0]}.{v[1] + 1}"}
        data["xen"] = section_xen
    kernel = facts.get("kernel")
    if not isinstance(kernel, Unknown):
        ksection: dict[str, Any] = {}
        release = kernel.release
        if isinstance(release, str):
            v = version_tuple(release)
            ksection["release"] = {"version": f">={v[0]}.{v[1]},<{v[0]}.{v[1] + 1}"} if v and len(v) >= 2 else release
        if isinstance(kernel.loaded, frozenset) and kernel.loaded:
            ksection["modules"] = dict.fromkeys(sorted(kernel.loaded), "loaded")
        if ksection:
            data["kernel"] = ksection
    return data


def _passing(results: list[tuple[str, CheckResult]]) -> set[str]:
    return {item for item, r in results if r.outcome != "failed"}


def prune(data: dict[str, Any], base: Profile, facts: FactCache) -> dict[str, Any]:
    """Drop from ``data`` what ``base`` (the resolved extended profiles) already says correctly."""
    ok = _passing(evaluate(base, facts))
    out: dict[str, Any] = {k: data[k] for k in ("name", "description") if k in data}
    for section, field_row in (("dmi", "dmi_expectation"), ("memory", "memory_expectation")):
        kept = {f: v for f, v in data.get(section, {}).items() if f"{field_row}[{f}]" not in ok}
        if kept:
            out[section] = kept
    if "cpu" in data:
        base_flags = {f.flag for f in base.cpu_flags}
        cpu = {f: v for f, v in data["cpu"].items() if f != "flags" and f"cpu_expectation[{f}]" not in ok}
        flags = {f: s for f, s in data["cpu"].get("flags", {}).items() if f not in base_flags or f"cpu_flag_expectation[{f}]" not in ok}
        if flags:
            cpu["flags"] = flags
        if cpu:
            out["cpu"] = cpu
    if "xen" in data:
        xen = {f: v for f, v in data["xen"].items() if f"xen_expectation[{f}]" not in ok}
        if xen:
            out["xen"] = xen
    if "kernel" in data:
        kernel = {k: v for k, v in data["kernel"].items() if k == "release" and "kernel_release_expectation[release]" not in ok}
        modules = {m: s for m, s in data["kernel"].get("modules", {}).items() if f"kernel_module_expectation[{m}]" not in ok}
        if modules:
            kernel["modules"] = modules
        if kernel:
            out["kernel"] = kernel
    if "pci" in data:
        devices: dict[str, Any] = {}
        base_devices = base.pci.devices if base.pci else ()
        for key, entry in data["pci"]["devices"].items():
            ident, _, slot = key.partition("@")
            full = slot if slot.count(":") == 2 else f"0000:{slot}"
            match = next((e for e in base_devices if e.id == ident and e.slot in (None, full)), None)
            if match is None:
                devices[key] = entry
                continue
            props = {p: v for p, v in entry.items() if f"pci_{'topology' if p == 'behind' else p}_expectation[{match.key}]" not in ok}
            if props:
                devices[match.key] = props
        pci: dict[str, Any] = {}
        if devices:
            pci["devices"] = devices
        if base.pci is None or base.pci.unlisted == "ignore":
            pci["unlisted_devices"] = "report"
        if pci:
            out["pci"] = pci
    return out


def relax(data: dict[str, Any], failures: list[tuple[str, CheckResult]], merged: Profile) -> list[str]:
    """Override what still fails (from the extended profiles) so the draft passes; say what was relaxed."""
    notes = []
    devices = {d.key: d for d in (merged.pci.devices if merged.pci else ())}
    for item, result in failures:
        row, _, key = item.partition("[")
        key = key.rstrip("]")
        if row == "pci_device_expectation" and key in devices:
            data.setdefault("pci", {}).setdefault("devices", {}).setdefault(key, {})["optional"] = True
            notes.append(f"pci {key}: not present here, made optional")
        elif row == "cpu_flag_expectation":
            data.setdefault("cpu", {}).setdefault("flags", {})[key] = "ignored"
            notes.append(f"cpu flag {key}: {result.message}, set to ignored")
        elif row == "kernel_module_expectation":
            state = "available" if "on disk" in result.found else "not_loaded"
            data.setdefault("kernel", {}).setdefault("modules", {})[key] = state
            notes.append(f"kernel module {key}: {result.found}, set to {state}")
    return notes
