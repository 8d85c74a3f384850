"""The resolved profile: frozen expectations, each remembering the file:line it came from."""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from hwcompat.ipnames import PROTOCOLS
from hwcompat.matchers import Matcher, Origin, from_data
from hwcompat.profile.params import ParamValue

FlagState = Literal["required", "forbidden", "ignored"]
ParamState = Literal["present", "absent", "value"]
ModuleState = Literal["loaded", "available", "not_loaded", "absent", "listed", "not_listed"]
Path = tuple[str | int, ...]
Origins = Mapping[Path, Origin]

#: keys of a PCI device entry that are not properties compared with the device
PCI_ENTRY_KEYS = ("title", "optional", "count", "also_ids")


class Expectation(Protocol):
    """What every expectation offers the plan and the reports."""

    @property
    def key(self) -> str:
        """The item's id inside brackets: ``avx2``, ``8086:153a@00:19.0``, ``hma:route_noexec``."""
        ...

    @property
    def origin(self) -> Origin:
        """The profile file:line it was written at."""
        ...

    @property
    def title(self) -> str:
        """A name for people, when the profile gives one."""
        ...

    def describe(self) -> str:
        """The expectation in words (``profiles show``, reports)."""
        ...


@dataclass(frozen=True, slots=True)
class FieldExpectation:
    """One scalar property (``cpu.model_name``, ``dmi.board_name``, ``kernel.release``, ``kernel.config.X``)."""

    field: str
    matcher: Matcher
    title: str = ""

    @property
    def key(self) -> str:
        """The field name."""
        return self.field

    @property
    def origin(self) -> Origin:
        """Where the matcher was written."""
        return self.matcher.origin

    def describe(self) -> str:
        """The matcher in words."""
        return self.matcher.describe()


@dataclass(frozen=True, slots=True)
class StateExpectation:
    """A named thing in a named state: a CPU flag (required, forbidden) or a kernel module (loaded, listed, ...)."""

    name: str
    state: str
    origin: Origin
    title: str = ""

    @property
    def key(self) -> str:
        """The flag or module name."""
        return self.name

    def describe(self) -> str:
        """The state."""
        return self.state


@dataclass(frozen=True, slots=True)
class ParamExpectation:
    """A command-line parameter: present, absent, or with a value (matcher), running and configured."""

    name: str
    state: ParamState
    matcher: Matcher | None
    origin: Origin
    title: str = ""

    @property
    def key(self) -> str:
        """The parameter name."""
        return self.name

    def describe(self) -> str:
        """``present``, ``absent`` or the value's matcher in words."""
        return self.matcher.describe() if self.matcher else self.state

    def to_data(self) -> object:
        """The YAML form."""
        return {"value": self.matcher.to_data()} if self.matcher is not None else self.state


@dataclass(frozen=True, slots=True)
class NetExpectation:
    """One network expectation, as written in the profile.

    ``kind`` names the subsection, ``name`` what the entry is about (an interface, a config, a
    rule's priority), ``spec`` its fields (plain, already schema-checked data), ``prop`` the one
    property of an openvpn entry, ``label`` the profile key when it is a label rather than the name
    (``vlan`` for ``{name: eth0.6}``).
    """

    kind: str
    name: str
    spec: tuple[tuple[str, object], ...]
    origin: Origin
    prop: str = ""
    label: str = ""

    @property
    def key(self) -> str:
        """The profile key (``name``, or the label), with ``:prop`` for one property of an OpenVPN config."""
        key = self.label or self.name
        return f"{key}:{self.prop}" if self.prop else key

    @property
    def title(self) -> str:
        """The interface or config a label stands for, when the key is a label."""
        return self.name if self.label and self.label != self.name else ""

    def get(self, name: str, default: object = None) -> object:
        """A field of the entry."""
        return dict(self.spec).get(name, default)

    def describe(self) -> str:
        """The entry's fields as the profile writes them: ``kind bridge, up true, members [eth0.6]``."""
        return ", ".join(f"{k} {json.dumps(v) if not isinstance(v, str) else v}" for k, v in self.spec)


@dataclass(frozen=True, slots=True)
class TmemItem:
    """One check of the tmem role (``supported``, ``CONFIG_FRONTSWAP``, ``frontswap``, ...)."""

    role: str
    name: str
    origin: Origin
    title: str = ""

    @property
    def key(self) -> str:
        """The checked thing's name (the role itself for ``supported``)."""
        return self.name

    def describe(self) -> str:
        """The role."""
        return f"tmem {self.role} role"


@dataclass(frozen=True, slots=True)
class PciExpectation:
    """A PCI device keyed by ``vendor:device[@location]``, with the properties the profile sets.

    ``location`` is as written: a path from the root port (``00:1c.3/00.0``; a device on the root
    bus is just its slot, ``00:19.0``), or a slot with a bus number (``03:00.0``), which only holds
    for one machine. ``also_ids`` are other vendor:device ids the same function may show (a SATA
    controller in RAID mode). ``props`` pairs a property name (``driver``, ``class``, ``behind``...)
    with its matcher, in profile order.
    """

    key: str
    id: str
    location: str | None
    also_ids: tuple[str, ...]
    title: str
    optional: bool
    count: Matcher | None
    props: tuple[tuple[str, Matcher], ...]
    origin: Origin

    def prop(self, name: str) -> Matcher | None:
        """A property matcher by its profile key."""
        return dict(self.props).get(name)

    def describe(self) -> str:
        """Presence and properties in words; a property written in another file than the entry names its file:line."""
        presence = "optional" if self.optional else self.count.describe() if self.count else "present"
        return "; ".join([presence] + [f"{name} {m.describe()}" + (f" ({m.origin})" if m.origin.file != self.origin.file else "")
                                       for name, m in self.props])


@dataclass(frozen=True, slots=True)
class PciSection:
    """The pci section: devices and the policy for devices not named (the ``unlisted_devices`` item)."""

    devices: tuple[PciExpectation, ...]
    unlisted: str
    origin: Origin
    key: str = "unlisted_devices"
    title: str = ""

    def describe(self) -> str:
        """The policy."""
        return self.unlisted


@dataclass(frozen=True, slots=True)
class Waiver:
    """A known exception: a failing item reported as waived, with why, where it is tracked and until when."""

    item: str
    reason: str
    ticket: str
    expires: datetime.date
    origin: Origin


def waivers_from(data: Mapping[str, object], origins: Origins) -> tuple[Waiver, ...]:
    """The ``waivers`` of schema-checked data. Raises ValueError (with the key path) for a date that does not exist."""
    out = []
    for item, entry in (data.get("waivers") or {}).items():  # type: ignore[attr-defined]
        try:
            expires = datetime.date.fromisoformat(entry["expires"])
        except ValueError:
            err = ValueError(f"{entry['expires']!r} is not a date (YYYY-MM-DD)")
            err.kpath = ("waivers", item, "expires")  # type: ignore[attr-defined]
            raise err from None
        out.append(Waiver(item, entry["reason"], entry.get("ticket", ""), expires, origins[("waivers", item)]))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Profile:
    """A resolved profile (``extends`` applied). ``chain`` lists the files, base first."""

    name: str
    description: str
    file: str
    chain: tuple[str, ...]
    match: tuple[FieldExpectation, ...] = ()
    dmi: tuple[FieldExpectation, ...] = ()
    memory: tuple[FieldExpectation, ...] = ()
    pci: PciSection | None = None
    cpu: tuple[FieldExpectation, ...] = ()
    cpu_flags: tuple[StateExpectation, ...] = ()
    cpuid_flags: tuple[StateExpectation, ...] = ()
    kernel_release: tuple[FieldExpectation, ...] = ()
    kernel_modules: tuple[StateExpectation, ...] = ()
    kernel_config: tuple[FieldExpectation, ...] = ()
    kernel_cmdline: tuple[ParamExpectation, ...] = ()
    kernel_boot_modules: tuple[StateExpectation, ...] = ()
    xen: tuple[FieldExpectation, ...] = ()
    xen_cmdline: tuple[ParamExpectation, ...] = ()
    tmem: tuple[FieldExpectation, ...] = ()
    network: tuple[NetExpectation, ...] = ()
    params: tuple[ParamValue, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    data: Mapping[str, object] = field(default_factory=dict)
    sections: frozenset[str] = field(default_factory=frozenset)

    def to_data(self) -> dict[str, object]:
        """The profile as plain data (what ``dump`` writes), without ``extends``: it is resolved."""
        return {k: v for k, v in self.data.items() if k != "extends"}


def _matcher(value: object, origins: Origins, path: Path) -> Matcher:
    try:
        return from_data(value, origins[path])
    except ValueError as err:
        err.kpath = path  # type: ignore[attr-defined]
        raise


def _fields(section: str, data: Mapping[str, object], origins: Origins, skip: tuple[str, ...] = ()) -> tuple[FieldExpectation, ...]:
    """One FieldExpectation per key of a section (the schema says which keys exist), in profile order."""
    return tuple(FieldExpectation(name, _matcher(value, origins, (section, name))) for name, value in data.items() if name not in skip)


def _states(section: str, sub: str, data: Mapping[str, object], origins: Origins) -> tuple[StateExpectation, ...]:
    entries = data.get(sub) or {}
    assert isinstance(entries, dict)
    return tuple(StateExpectation(name, str(state), origins[(section, sub, name)]) for name, state in entries.items())


def _check_addresses(net: Mapping[str, object]) -> None:
    """Every address and network in the network section is a valid IPv4 one (ValueError with the key path)."""
    def address(text: str) -> object:
        return ipaddress.IPv4Address(text)

    def network(text: str) -> object:
        return ipaddress.IPv4Network(text, strict=False)  # host bits allowed, as the kernel allows them

    def check(path: Path, value: object, parse: Callable[[str], object], what: str) -> None:
        if "${" in str(value):
            return  # a parameter without a value, in a profile read as a template
        try:
            parse(str(value))
        except ValueError as err:
            error = ValueError(f"{value!r} is not a valid IPv4 {what}: {err}")
            error.kpath = path  # type: ignore[attr-defined]
            raise error from None

    def entries(kind: str) -> dict[str, Any]:
        value = net.get(kind)
        return value if isinstance(value, dict) else {}

    for kind in ("paths", "no_leak"):
        for name, spec in entries(kind).items():
            for end in ("from", "to"):
                check(("network", kind, name, end), spec[end], address, "address")
            _check_packet(("network", kind, name), spec)
    for kind in ("rules", "nat"):
        for name, spec in entries(kind).items():
            for end in ("from", "to"):
                if isinstance(spec, dict) and end in spec:
                    check(("network", kind, name, end), spec[end], network, "network")
    for name, spec in entries("interfaces").items():
        for i, addr in enumerate(spec.get("addresses", [])):
            check(("network", "interfaces", name, "addresses", i), addr, ipaddress.IPv4Interface, "address/prefix")
    for table, dsts in entries("routes").items():
        for dst, spec in dsts.items():
            if dst != "default":
                check(("network", "routes", table, dst), dst, network, "destination")
            if "via" in spec:
                check(("network", "routes", table, dst, "via"), spec["via"], address, "gateway")


def _check_packet(path: Path, spec: Mapping[str, Any]) -> None:
    """What a path's packet carries makes sense: a protocol hwcompat can number, no uid on a forwarded packet (ValueError with the key path)."""
    problems: list[tuple[str, str]] = []
    for key, top in (("mark", 0xFFFFFFFF), ("tos", 0xFF), ("proto", 0xFF), ("sport", 0xFFFF), ("dport", 0xFFFF), ("uid", 0xFFFFFFFF)):
        value = spec.get(key)
        number = int(str(value), 0) if value is not None and re.fullmatch(r"0x[0-9a-fA-F]+|\d+", str(value)) else None
        if number is not None and number > top:
            problems.append((key, f"{value} is out of range (0 to {top})"))
    proto = spec.get("proto")
    if proto is not None and not str(proto).isdigit() and str(proto).lower() not in PROTOCOLS:
        problems.append(("proto", f"{proto!r} is not a protocol name of /etc/protocols (tcp, udp, icmp, ...) nor a number"))
    if spec.get("uid") is not None and spec.get("iif"):
        problems.append(("uid", "a forwarded packet (iif) always carries uid 0: uid is for traffic this host sends"))
    if (spec.get("sport") is not None or spec.get("dport") is not None) and proto is None:
        problems.append(("sport" if spec.get("sport") is not None else "dport", "ports need proto: (tcp, udp, ...)"))
    if problems:
        key, message = problems[0]
        error = ValueError(message)
        error.kpath = (*path, key)  # type: ignore[attr-defined]
        raise error


def _pci(raw: Mapping[str, object], origins: Origins) -> PciSection:
    devices = []
    for key, entry in (raw.get("devices") or {}).items():  # type: ignore[attr-defined]
        path: Path = ("pci", "devices", key)
        ident, _, slot = key.partition("@")
        props = tuple((name, _matcher(value, origins, (*path, name))) for name, value in entry.items() if name not in PCI_ENTRY_KEYS)
        devices.append(PciExpectation(
            key=key, id=ident, location=slot or None, also_ids=tuple(entry.get("also_ids", ())), title=str(entry.get("title", "")),
            optional=bool(entry.get("optional", False)), count=_matcher(entry["count"], origins, (*path, "count")) if "count" in entry else None,
            props=props, origin=origins[path],
        ))
    unlisted = str(raw.get("unlisted_devices", "ignore"))
    return PciSection(tuple(devices), unlisted, origins.get(("pci", "unlisted_devices"), origins[("pci",)]))


def _params(section: str, data: Mapping[str, object], origins: Origins) -> tuple[ParamExpectation, ...]:
    out = []
    for name, value in (data.get("cmdline") or {}).items():  # type: ignore[attr-defined]
        path: Path = (section, "cmdline", name)
        if isinstance(value, dict):
            out.append(ParamExpectation(name, "value", _matcher(value["value"], origins, (*path, "value")), origins[path]))
        else:
            out.append(ParamExpectation(name, value, None, origins[path]))
    return tuple(out)


def _network(net: Mapping[str, object], origins: Origins) -> tuple[NetExpectation, ...]:
    """One NetExpectation per entry. A key may be a label ('vlan') whose entry names the interface or config it is about."""
    _check_addresses(net)
    out = []
    for kind in ("interfaces", "rules", "routes", "rp_filter", "nat", "openvpn", "paths", "no_leak"):
        for raw_key, spec in (net.get(kind) or {}).items():  # type: ignore[attr-defined]
            origin = origins[("network", kind, raw_key)]
            key = str(raw_key)
            if kind == "routes":
                for dst, route in spec.items():
                    out.append(NetExpectation(kind, f"{key}/{dst}", tuple(route.items()), origins[("network", kind, key, dst)]))
            elif kind == "openvpn":
                config = str(spec.get("config", key))
                for item, value in spec.items():
                    if item != "config":
                        out.append(NetExpectation(kind, config, ((item, value),), origins[("network", kind, key, item)], item, label=key))
            elif kind == "interfaces":
                name = str(spec.get("name", key))
                out.append(NetExpectation(kind, name, tuple((k, v) for k, v in spec.items() if k != "name"), origin, label=key))
            elif isinstance(spec, dict) and kind in ("rp_filter", "nat"):
                out.append(NetExpectation(kind, str(spec["interface"]), tuple((k, v) for k, v in spec.items() if k != "interface"), origin,
                                          label=key))
            elif isinstance(spec, dict):
                out.append(NetExpectation(kind, key, tuple(spec.items()), origin))
            else:
                out.append(NetExpectation(kind, key, (("want", spec),), origin))
    if "forwarding" in net:
        out.append(NetExpectation("forwarding", "ip_forward", (("want", net["forwarding"]),), origins[("network", "forwarding")]))
    return tuple(out)


def build(data: Mapping[str, object], origins: Origins, file: str, chain: tuple[str, ...], params: tuple[ParamValue, ...] = ()) -> Profile:
    """Build a Profile from schema-valid, merged data and the origin of every key.

    :raises ValueError: on a semantic error (bad version spec, min > max), naming the key path
    """
    def section(name: str) -> Mapping[str, object]:
        value = data.get(name) or {}
        assert isinstance(value, dict)
        return value

    kernel, xen = section("kernel"), section("xen")
    return Profile(
        name=str(data["name"]),
        description=str(data.get("description", "")),
        file=file,
        chain=chain,
        match=_fields("match", section("match"), origins),
        dmi=_fields("dmi", section("dmi"), origins),
        memory=_fields("memory", section("memory"), origins),
        pci=_pci(section("pci"), origins) if "pci" in data else None,
        cpu=_fields("cpu", section("cpu"), origins, skip=("flags", "cpuid_flags")),
        cpu_flags=_states("cpu", "flags", section("cpu"), origins),
        cpuid_flags=_states("cpu", "cpuid_flags", section("cpu"), origins),
        kernel_release=_fields("kernel", {k: v for k, v in kernel.items() if k == "release"}, origins),
        kernel_modules=_states("kernel", "modules", kernel, origins),
        kernel_config=tuple(FieldExpectation(name, _matcher(value, origins, ("kernel", "config", name)))
                            for name, value in (kernel.get("config") or {}).items()),  # type: ignore[attr-defined]
        kernel_cmdline=_params("kernel", kernel, origins),
        kernel_boot_modules=_states("kernel", "boot_modules", kernel, origins),
        xen=_fields("xen", xen, origins, skip=("cmdline",)),
        xen_cmdline=_params("xen", xen, origins),
        tmem=_fields("tmem", section("tmem"), origins),
        network=_network(section("network"), origins),
        params=params,
        waivers=waivers_from(data, origins),
        data=data,
        sections=frozenset(k for k in ("dmi", "memory", "pci", "cpu", "kernel", "xen", "tmem", "network") if k in data),
    )
