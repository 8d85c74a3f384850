"""What changed between two machines, or one machine before and after (``hwcompat diff A B``).

A and B are snapshots, or ``live`` for this machine. The facts are those a run reads; the
changes are grouped by the report's areas: PCI devices added, removed, moved (the same
vendor:device at another path) or rebound (another driver, or none), CPU identity, microcode and
flags, DMI and memory, kernel release, loaded modules, command line, build options and boot
modules, the Xen version, role and command line, and interfaces, rules, routes and NAT rules.

A fact one side cannot tell is said as such ("cannot tell: ..."), never taken as "no change"
(the command then exits 1, as for a difference); one neither side recorded is left out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown
from hwcompat.facts.cache import FactCache
from hwcompat.plan import AREAS

#: the report's areas, in page order, by heading
HEADINGS = tuple(heading for _, heading, _ in AREAS)


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: ``+`` added in B, ``-`` removed, ``~`` changed, ``?`` cannot tell."""

    area: str
    mark: str
    what: str
    before: str = ""
    after: str = ""

    def line(self) -> str:
        """``~ microcode: 0x17 -> 0x1c``."""
        if self.mark == "~":
            return f"~ {self.what}: {self.before} -> {self.after}"
        return f"{self.mark} {self.what}"

    def to_json(self) -> dict[str, str]:
        """Plain data for ``--json``."""
        return {"area": self.area, "change": {"+": "added", "-": "removed", "~": "changed", "?": "cannot tell"}[self.mark],
                "what": self.what, "before": self.before, "after": self.after}


def _get(facts: FactCache, name: str) -> Any:
    try:
        return getattr(facts, name)
    except CannotCheck as err:
        return Unknown(err.reason)


def _sets(area: str, what: str, a: Iterable[str] | Unknown, b: Iterable[str] | Unknown) -> list[Change]:
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return _unknown(area, what, a, b)
    sa, sb = set(a), set(b)
    out = [Change(area, "+", f"{what}: {', '.join(sorted(sb - sa))}")] if sb - sa else []
    return out + ([Change(area, "-", f"{what}: {', '.join(sorted(sa - sb))}")] if sa - sb else [])


def _value(area: str, what: str, a: object, b: object) -> list[Change]:
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return _unknown(area, what, a, b)
    return [] if a == b else [Change(area, "~", what, _show(a), _show(b))]


def _unknown(area: str, what: str, a: object, b: object) -> list[Change]:
    if isinstance(a, Unknown) and isinstance(b, Unknown):
        return []  # unknown on both sides: nothing can be said, and the run's own items say why
    side, u = ("A", a) if isinstance(a, Unknown) else ("B", b)
    return [Change(area, "?", f"{what}: cannot tell, {side}: {u.reason if isinstance(u, Unknown) else u}")]


def _show(value: object) -> str:
    return "none" if value is None else str(value)


def _record(obj: object) -> str:
    """A rule, route or NAT rule as one line: its own text if it has one, else its fields."""
    text = getattr(obj, "text", None)
    if isinstance(text, str) and text:
        return text
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return " ".join(f"{k} {v}" for k, v in dataclasses.asdict(obj).items() if v not in (None, False, (), "", []))
    return str(obj)


def _pci(a: FactCache, b: FactCache) -> list[Change]:
    area = "PCI devices"
    fa, fb = _get(a, "pci"), _get(b, "pci")
    if isinstance(fa, Unknown) or isinstance(fb, Unknown):
        return _unknown(area, "devices", fa, fb)
    da = {(d.id, d.path): d for d in fa.devices}
    db = {(d.id, d.path): d for d in fb.devices}
    out: list[Change] = []
    gone = [k for k in da if k not in db]
    new = [k for k in db if k not in da]
    for key in list(gone):  # the same vendor:device at another path: moved
        there = next((n for n in new if n[0] == key[0]), None)
        if there is not None:
            out.append(Change(area, "~", f"{key[0]} moved", key[1], there[1]))
            gone.remove(key)
            new.remove(there)
            da_dev, db_dev = da[key], db[there]
            if da_dev.driver != db_dev.driver:
                out.append(Change(area, "~", f"{key[0]} at {there[1]} driver", _show(da_dev.driver), _show(db_dev.driver)))
    out += [Change(area, "+", f"{k[0]} at {k[1]} (driver {_show(db[k].driver)})") for k in new]
    out += [Change(area, "-", f"{k[0]} at {k[1]} (driver {_show(da[k].driver)})") for k in gone]
    for key in sorted(set(da) & set(db)):
        for name in ("driver", "class_code", "revision", "subsystem_vendor", "subsystem_device", "numa_node"):
            before, after = getattr(da[key], name), getattr(db[key], name)
            if before != after:
                label = "driver" if name == "driver" else name.replace("_code", "")
                out.append(Change(area, "~", f"{key[0]} at {key[1]} {label}", _show(before), _show(after)))
    return out


def _cpu(a: FactCache, b: FactCache) -> list[Change]:
    area = "CPU"
    fa, fb = _get(a, "cpu"), _get(b, "cpu")
    if isinstance(fa, Unknown) or isinstance(fb, Unknown):
        return _unknown(area, "CPU", fa, fb)
    out = []
    for name in ("vendor_id", "model_name", "family", "model", "stepping", "microcode", "cache_size_kb", "logical_cpus"):
        before, after = getattr(fa, name), getattr(fb, name)
        if before != after:
            fmt: Callable[[object], str] = (lambda v: hex(v) if isinstance(v, int) else _show(v)) if name == "microcode" else _show
            out.append(Change(area, "~", name, fmt(before), fmt(after)))
    return out + _sets(area, "flags", fa.flags, fb.flags)


def _board(a: FactCache, b: FactCache) -> list[Change]:
    area = "Board and memory"
    out: list[Change] = []
    fa, fb = _get(a, "dmi"), _get(b, "dmi")
    if isinstance(fa, Unknown) or isinstance(fb, Unknown):
        out += _unknown(area, "DMI", fa, fb)
    else:
        va, vb = dict(fa.values), dict(fb.values)
        for name in sorted(set(va) | set(vb)):
            out += _value(area, name, va.get(name, Unknown("not recorded")), vb.get(name, Unknown("not recorded")))
    ma, mb = _get(a, "memory"), _get(b, "memory")
    return out + _value(area, "memory MB", getattr(ma, "total_mb", ma), getattr(mb, "total_mb", mb))


def _params(value: object) -> dict[str, str] | Unknown:
    if isinstance(value, Unknown):
        return value
    return {p.name: "" if p.value is None else p.value for p in value}  # type: ignore[attr-defined]


def _cmdline(area: str, what: str, a: object, b: object) -> list[Change]:
    pa, pb = _params(a), _params(b)
    if isinstance(pa, Unknown) or isinstance(pb, Unknown):
        return _unknown(area, what, pa, pb)
    out = _sets(area, what, set(pa), set(pb))
    return out + [Change(area, "~", f"{what} {k}", pa[k], pb[k]) for k in sorted(set(pa) & set(pb)) if pa[k] != pb[k]]


def _kernel(a: FactCache, b: FactCache) -> list[Change]:
    area = "Kernel and boot"
    ka, kb = _get(a, "kernel"), _get(b, "kernel")
    if isinstance(ka, Unknown) or isinstance(kb, Unknown):
        return _unknown(area, "kernel", ka, kb)
    out = _value(area, "release", ka.release, kb.release)
    out += _sets(area, "modules loaded", ka.loaded, kb.loaded)
    out += _cmdline(area, "command line", ka.cmdline, kb.cmdline)
    if isinstance(ka.config, Unknown) or isinstance(kb.config, Unknown):
        out += _unknown(area, "build options", ka.config, kb.config)
    else:
        for name in sorted(set(ka.config) | set(kb.config)):
            before, after = ka.config.get(name, "n"), kb.config.get(name, "n")
            if before != after:
                out.append(Change(area, "~", name, before, after))
    if isinstance(ka.boot_modules, Unknown) or isinstance(kb.boot_modules, Unknown):
        return out + _unknown(area, "boot modules", ka.boot_modules, kb.boot_modules)
    return out + _sets(area, "boot modules", ka.boot_modules, kb.boot_modules)


def _xen(a: FactCache, b: FactCache) -> list[Change]:
    area = "Xen"
    xa, xb = _get(a, "xen"), _get(b, "xen")
    if isinstance(xa, Unknown) or isinstance(xb, Unknown):
        return _unknown(area, "Xen", xa, xb)
    out = _value(area, "role", xa.role, xb.role)
    if "none" in (xa.role, xb.role):
        return out  # not under Xen on one side: the role says it all
    out += _value(area, "version", xa.version, xb.version)
    return out + _cmdline(area, "hypervisor command line", xa.cmdline, xb.cmdline)


def _network(a: FactCache, b: FactCache) -> list[Change]:
    area = "Network"
    na, nb = _get(a, "network"), _get(b, "network")
    out: list[Change] = []
    if isinstance(na, Unknown) or isinstance(nb, Unknown):
        out += _unknown(area, "network", na, nb)
    else:
        def names(links: object) -> Iterable[str] | Unknown:
            return links if isinstance(links, Unknown) else sorted(links)  # type: ignore[call-overload]

        def lines(records: object) -> Iterable[str] | Unknown:
            return records if isinstance(records, Unknown) else [_record(r) for r in records]  # type: ignore[attr-defined]

        out += _sets(area, "interfaces", names(na.links), names(nb.links))
        out += _sets(area, "rules", lines(na.rules), lines(nb.rules))
        out += _sets(area, "routes", lines(na.routes), lines(nb.routes))
        out += _value(area, "forwarding", na.forwarding, nb.forwarding)
    ta, tb = _get(a, "nat"), _get(b, "nat")
    if isinstance(ta, Unknown) or isinstance(tb, Unknown):
        return out + _unknown(area, "NAT", ta, tb)
    if ta == tb:
        return out
    out += _sets(area, "NAT rules", _nat_rules(ta), _nat_rules(tb))
    for side, facts in (("A", ta), ("B", tb)):
        why = [u.reason for u in facts.unreadable] + list(facts.unseen)
        if why:  # rules that could not be read or seen: what differs there cannot be told
            return [*out, Change(area, "?", f"NAT rules: cannot tell all, {side}: {why[0]}")]
    return out


def _nat_rules(nat: Any) -> list[str]:
    """Every rule of every nat table, as it reads (where it is listed left out: line numbers move)."""
    return [rule.what for table in nat.tables for chain in table.chains for rule in chain.rules]


def diff(a: FactCache, b: FactCache) -> list[Change]:
    """Every difference from A to B, area by area."""
    return _pci(a, b) + _cpu(a, b) + _board(a, b) + _kernel(a, b) + _xen(a, b) + _network(a, b)


def text(changes: list[Change], a: str, b: str) -> str:
    """The changes for a person, one block per area."""
    if not changes:
        return f"no differences between {a} and {b}\n"
    out = [f"--- {a}", f"+++ {b}"]
    for area in HEADINGS:
        mine = [c for c in changes if c.area == area]
        if mine:
            out.append(f"== {area}")
            out += [f"  {c.line()}" for c in mine]
    return "\n".join(out) + "\n"
