"""Capture: draft a profile from a machine's facts, and prove the draft passes against them.

Each item kind that can be drafted says where its entries go and how to make them from facts
(:attr:`hwcompat.plan.ItemKind.draft`); this module assembles them. With profiles to extend, it
keeps only what they do not already say correctly about this machine, and relaxes what they say
that is not true here (a missing device becomes optional, a missing flag ignored). The draft is
then loaded and evaluated against the same facts, and relaxed again where it still fails.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwcompat import __version__
from hwcompat.checks import pci
from hwcompat.errors import CannotCheck
from hwcompat.facts.cache import FactCache
from hwcompat.plan import BY_NAME, KINDS, evaluate
from hwcompat.profile import loader
from hwcompat.profile.model import PciExpectation, Profile
from hwcompat.results import CheckResult

PCI_DEVICE = BY_NAME["test_pci_device"]


@dataclass
class Capture:
    """What ``capture`` did: the profile data written, what was relaxed, what still fails, how many items pass."""

    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    failures: list[tuple[str, CheckResult]] = field(default_factory=list)
    items: int = 0


def _at(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = data
    for key in path:
        node = node.setdefault(key, {})
    return node


def draft(facts: FactCache, name: str) -> dict[str, Any]:
    """Profile data describing exactly the machine behind ``facts`` (what cannot be read is left out)."""
    where = os.fsencode(facts.source.location or "a live machine").decode("utf-8", "backslashreplace")  # a path's undecodable bytes as \xff
    data: dict[str, Any] = {"name": name, "description": f"captured from {where}"}
    for kind in KINDS:
        if kind.draft is None:
            continue
        try:
            entries = kind.draft.make(facts.get(kind.draft.domain))
        except CannotCheck:
            continue
        if entries:
            _at(data, kind.draft.path).update(entries)
    if "pci" in data:
        data["pci"] = {"unlisted_devices": "report", **data["pci"]}
    return data


def _base_device(base: Profile, facts: FactCache, key: str) -> PciExpectation | None:
    """The extended profiles' expectation that names the device drafted as ``key`` (``id@path``), if any."""
    ident, _, path = key.partition("@")
    device = facts.pci.by_path(path)
    if device is None or device.id != ident:
        return None
    return next((e for e in (base.pci.devices if base.pci else ()) if device in pci.matching(e, facts.pci)), None)


def prune(data: dict[str, Any], base: Profile, facts: FactCache) -> dict[str, Any]:
    """Drop from ``data`` what ``base`` (the resolved extended profiles) already says correctly about this machine."""
    results = dict(evaluate(base, facts))
    passing = {item for item, r in results.items() if r.outcome != "failed"}
    out: dict[str, Any] = {k: data[k] for k in ("name", "description") if k in data}
    for kind in KINDS:
        if kind.draft is None:
            continue
        node: Any = data
        for key in kind.draft.path:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if kind is PCI_DEVICE:
            kept = _prune_devices(node, base, facts, results)
        else:
            kept = {k: v for k, v in node.items() if f"{kind.name}[{k}]" not in passing and not _is_subsection(kind.draft.path, k)}
        if kept:
            _at(out, kind.draft.path).update(kept)
    if "pci" in data and (base.pci is None or base.pci.unlisted == "ignore"):
        _at(out, ("pci",))["unlisted_devices"] = "report"
    return out


def _is_subsection(path: tuple[str, ...], key: str) -> bool:
    """True for a key that another kind drafts into (``cpu.flags`` inside ``cpu``, ``kernel.modules`` inside ``kernel``)."""
    return any(k.draft is not None and k.draft.path == (*path, key) for k in KINDS)


def _prune_devices(devices: dict[str, Any], base: Profile, facts: FactCache, results: dict[str, CheckResult]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, entry in devices.items():
        match = _base_device(base, facts, key)
        if match is None:
            kept[key] = entry
            continue
        result = results.get(PCI_DEVICE.item_id(match))
        good = {p.subject for p in result.parts if p.outcome == "passed"} if result is not None else set()
        props = {p: v for p, v in entry.items() if p not in good}
        if props:
            kept[match.key] = props
    return kept


def relax(data: dict[str, Any], failures: list[tuple[str, CheckResult]], merged: Profile) -> list[str]:
    """Override what still fails (from the extended profiles) so the draft passes; say what was relaxed."""
    notes = []
    devices = {d.key for d in (merged.pci.devices if merged.pci else ())}
    for item, result in failures:
        name, _, key = item.partition("[")
        key = key.removesuffix("]")
        if name == PCI_DEVICE.name and key in devices and result.message.startswith("missing"):
            _at(data, ("pci", "devices", key))["optional"] = True
            notes.append(f"pci {key}: not present here, made optional")
        elif name == "test_cpu_flag":
            _at(data, ("cpu", "flags"))[key] = "ignored"
            notes.append(f"cpu flag {key}: {result.message}, set to ignored")
        elif name == "test_kernel_module":
            state = "available" if "on disk" in result.found else "not_loaded"
            _at(data, ("kernel", "modules"))[key] = state
            notes.append(f"kernel module {key}: {result.found}, set to {state}")
    return notes


def extends_ref(ref: str, out: Path) -> str:
    """How the draft names a profile it extends: a shared profile by name, a file relative to the draft."""
    path = Path(ref)
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        return ref
    real = path.resolve()
    if real.is_relative_to(loader.PROFILES_DIR):
        return real.relative_to(loader.PROFILES_DIR).with_suffix("").as_posix()
    return os.path.relpath(real, out.absolute().parent)


def capture(facts: FactCache, out: Path, name: str, extends: list[str], params: dict[str, str] | None = None) -> Capture:
    """Draft, write ``out``, and prove it passes against ``facts`` (relaxing up to twice).

    :param params: values for the parameters of the profiles extended (``--param``); the draft sets them
    :raises ProfileError: when a profile to extend is not found or invalid, or a parameter is unset or undeclared
    """
    data = draft(facts, name)
    if extends:
        data = prune(data, loader.load_all(extends, params), facts)
        # a ref given as a path is relative to here; in the draft it must be relative to the draft
        data = {**{k: data[k] for k in ("name", "description")}, "extends": [extends_ref(r, out) for r in extends],
                **({"params": dict(params)} if params else {}),
                **{k: v for k, v in data.items() if k not in ("name", "description")}}
    header = (f"# yaml-language-server: $schema={loader.SCHEMA_PATH.as_posix()}\n"
              f"# Drafted by hwcompat {__version__} capture. Review it: keep what defines the machine,\n"
              f"# relax what may differ between machines of the same kind.\n")
    done = Capture(data)
    for _ in range(2):
        out.write_text(header + loader.dump_data(data), encoding="utf-8")
        results = evaluate(loader.load(out), facts)
        done.failures = [(i, r) for i, r in results if r.outcome == "failed"]
        done.items = len(results)
        if not done.failures:
            break
        done.notes += relax(data, done.failures, loader.load(out))
    return done


#: Intel's CPU functions sit on the root bus as devices 0 to 7 (host bridge, PEG ports, graphics, its audio...;
#: "Xeon E3-1200 v3 Processor Family Datasheet, Vol. 2", device table): they belong to a cpu profile, not a board's
CPU_DEVICES = {f"00:{d:02x}" for d in range(8)}


def _board_devices(facts: FactCache) -> dict[str, dict[str, object]]:
    return {f"{d.id}@{d.path}": pci.draft_entry(d) for d in facts.pci.devices
            if not (d.vendor == "8086" and d.path.rsplit(".", 1)[0] in CPU_DEVICES)}


def _common(entries: list[dict[str, object]]) -> dict[str, object]:
    """A device entry that holds on every machine: a value where all agree, any_of where they do not."""
    out: dict[str, object] = {}
    for prop in entries[0]:
        seen = list(dict.fromkeys(e.get(prop) for e in entries))
        out[prop] = seen[0] if len(seen) == 1 else {"any_of": sorted(seen, key=lambda v: (v is not None, str(v)))}
    return out


@dataclass
class Certified:
    """What ``capture`` with several snapshots did: the board draft, host deltas, differences, and proof on each."""

    board: Capture
    hosts: dict[str, Path] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)
    failures: dict[str, list[tuple[str, CheckResult]]] = field(default_factory=dict)


def certify(machines: dict[str, FactCache], out: Path, name: str, hosts_dir: Path | None) -> Certified:
    """Draft the board profile of what holds on every machine, write it (and host deltas), and prove each passes.

    Devices by path, never by bus number; the CPU's own functions are left to a cpu profile; DMI
    board fields where all machines agree. A device not on every machine is a difference: listed
    as a comment, or in that machine's host profile under ``hosts_dir``.

    :raises CannotCheck: when a machine's PCI devices cannot be read
    """
    devices = {host: _board_devices(facts) for host, facts in machines.items()}
    keys = list(dict.fromkeys(k for found in devices.values() for k in found))
    everywhere = [k for k in keys if all(k in found for found in devices.values())]
    data: dict[str, Any] = {"name": name, "description": f"drafted from {len(machines)} machines: {', '.join(machines)}"}
    dmi: dict[str, object] = {}
    for fld in ("board_vendor", "board_name"):
        values: set[object] = set()
        for facts in machines.values():
            try:
                values.add(facts.dmi.get(fld))
            except CannotCheck:
                values.add(None)
        if len(values) == 1 and isinstance(value := values.pop(), str):
            dmi[fld] = value
    if dmi:
        data["match"] = dict(dmi)
        data["dmi"] = dmi
    data["pci"] = {"unlisted_devices": "report", "devices": {k: _common([devices[h][k] for h in devices]) for k in everywhere}}
    done = Certified(Capture(data))
    for key in keys:
        if key not in everywhere:
            on = [h for h, found in devices.items() if key in found]
            done.differences.append(f"{key}: on {', '.join(on)}; not on {', '.join(h for h in devices if h not in on)}")
    header = (f"# yaml-language-server: $schema={loader.SCHEMA_PATH.as_posix()}\n"
              f"# Drafted by hwcompat {__version__} capture from {len(machines)} machines: what holds on every one of them.\n"
              f"# Devices behind bridges are named by path; the CPU's own functions belong to a cpu profile.\n")
    footer = "".join(f"# only on some machines: {d}\n" for d in done.differences) if done.differences and hosts_dir is None else ""
    out.write_text(header + loader.dump_data(data) + footer, encoding="utf-8")
    board = loader.load(out)
    for host, facts in machines.items():
        done.failures[host] = [(i, r) for i, r in evaluate(board, facts) if r.outcome == "failed"]
    done.board.items = len(evaluate(board, next(iter(machines.values()))))
    if hosts_dir is not None:
        for host, facts in machines.items():
            extra = {k: v for k, v in devices[host].items() if k not in everywhere}
            path = hosts_dir / f"{host}.yaml"
            host_data: dict[str, object] = {"name": host, "description": f"{host}: the board draft and what only this machine has",
                         "extends": [os.path.relpath(out.absolute(), hosts_dir.absolute())]}
            if extra:
                host_data["pci"] = {"devices": extra}
            path.write_text(loader.dump_data(host_data), encoding="utf-8")
            done.hosts[host] = path
            done.failures[f"{host} (host)"] = [(i, r) for i, r in evaluate(loader.load(path), facts) if r.outcome == "failed"]
    return done
