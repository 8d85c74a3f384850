"""The resolved profile: frozen expectations, each remembering the file:line it came from."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hwcompat.matchers import Matcher, Origin, from_data

FlagState = Literal["required", "forbidden", "ignored"]
ParamState = Literal["present", "absent", "value"]
ModuleState = Literal["loaded", "available", "not_loaded", "absent", "listed", "not_listed"]
Path = tuple[str | int, ...]
Origins = Mapping[Path, Origin]

CPU_FIELDS = ("vendor_id", "model_name", "family", "model", "stepping", "microcode", "cache_size_kb", "logical_cpus")
DMI_FIELDS = ("board_vendor", "board_name", "board_version", "bios_vendor", "bios_version", "bios_date", "sys_vendor", "product_name")
MEMORY_FIELDS = ("total_mb",)
XEN_FIELDS = ("role", "version", "dom0_memory_mb", "guest_memory_overcommit")
PCI_PROPERTIES = ("driver", "subsystem", "class", "revision", "behind")


@dataclass(frozen=True, slots=True)
class FieldExpectation:
    """One scalar property (``cpu.model_name``, ``dmi.board_name``, ``kernel.release``)."""

    field: str
    matcher: Matcher


@dataclass(frozen=True, slots=True)
class FlagExpectation:
    """A CPU flag that is required, forbidden or deliberately ignored."""

    flag: str
    state: FlagState
    origin: Origin


@dataclass(frozen=True, slots=True)
class ModuleExpectation:
    """A kernel module's expected state."""

    name: str
    state: ModuleState
    origin: Origin


@dataclass(frozen=True, slots=True)
class ParamExpectation:
    """A command-line parameter: present, absent, or with a value (matcher), running and configured."""

    name: str
    state: ParamState
    matcher: Matcher | None
    origin: Origin

    def to_data(self) -> object:
        """The YAML form."""
        return {"value": self.matcher.to_data()} if self.matcher is not None else self.state


@dataclass(frozen=True, slots=True)
class NetExpectation:
    """One network expectation, as written in the profile.

    ``kind`` names the subsection, ``key`` the entry, ``spec`` its fields (plain, already
    schema-checked data), ``prop`` the one property of an openvpn entry.
    """

    kind: str
    key: str
    spec: tuple[tuple[str, object], ...]
    origin: Origin
    prop: str = ""

    def get(self, name: str, default: object = None) -> object:
        """A field of the entry."""
        return dict(self.spec).get(name, default)


@dataclass(frozen=True, slots=True)
class TmemItem:
    """One check of the tmem role (``supported``, ``CONFIG_FRONTSWAP``, ``frontswap``, ...)."""

    role: str
    name: str
    origin: Origin


@dataclass(frozen=True, slots=True)
class PciExpectation:
    """A PCI device keyed by ``vendor:device[@slot]``, with the properties the profile sets."""

    key: str
    id: str
    slot: str | None
    title: str
    optional: bool
    count: Matcher | None
    driver: Matcher | None
    subsystem: Matcher | None
    class_code: Matcher | None
    revision: Matcher | None
    behind: Matcher | None
    origin: Origin

    def prop(self, name: str) -> Matcher | None:
        """A property matcher by its profile key (``class`` maps to ``class_code``)."""
        return getattr(self, "class_code" if name == "class" else name)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class PciSection:
    """The pci section: devices and the policy for devices not named."""

    devices: tuple[PciExpectation, ...]
    unlisted: str
    unlisted_origin: Origin


@dataclass(frozen=True, slots=True)
class Profile:
    """A resolved profile (``extends`` applied). ``chain`` lists the files, base first."""

    name: str
    description: str
    file: str
    chain: tuple[str, ...]
    dmi: tuple[FieldExpectation, ...] = ()
    memory: tuple[FieldExpectation, ...] = ()
    pci: PciSection | None = None
    cpu: tuple[FieldExpectation, ...] = ()
    cpu_flags: tuple[FlagExpectation, ...] = ()
    kernel_release: tuple[FieldExpectation, ...] = ()
    kernel_modules: tuple[ModuleExpectation, ...] = ()
    kernel_config: tuple[FieldExpectation, ...] = ()
    kernel_cmdline: tuple[ParamExpectation, ...] = ()
    kernel_boot_modules: tuple[ModuleExpectation, ...] = ()
    xen: tuple[FieldExpectation, ...] = ()
    xen_cmdline: tuple[ParamExpectation, ...] = ()
    tmem: tuple[FieldExpectation, ...] = ()
    network: tuple[NetExpectation, ...] = ()
    network_data: tuple[tuple[str, object], ...] = ()
    sections: frozenset[str] = field(default_factory=frozenset)

    def to_data(self) -> dict[str, object]:
        """The profile as plain data (what ``dump`` writes), without ``extends``: it is resolved."""
        data: dict[str, object] = {"name": self.name}
        if self.description:
            data["description"] = self.description
        if self.dmi:
            data["dmi"] = {e.field: e.matcher.to_data() for e in self.dmi}
        if self.memory:
            data["memory"] = {e.field: e.matcher.to_data() for e in self.memory}
        if self.pci is not None:
            devices: dict[str, object] = {}
            for d in self.pci.devices:
                entry: dict[str, object] = {}
                if d.title:
                    entry["title"] = d.title
                if d.optional:
                    entry["optional"] = True
                if d.count is not None:
                    entry["count"] = d.count.to_data()
                for prop in PCI_PROPERTIES:
                    m = d.prop(prop)
                    if m is not None:
                        entry[prop] = m.to_data()
                devices[d.key] = entry
            data["pci"] = {"unlisted_devices": self.pci.unlisted, "devices": devices}
        if self.cpu or self.cpu_flags:
            cpu: dict[str, object] = {e.field: e.matcher.to_data() for e in self.cpu}
            if self.cpu_flags:
                cpu["flags"] = {f.flag: f.state for f in self.cpu_flags}
            data["cpu"] = cpu
        kernel: dict[str, object] = {e.field: e.matcher.to_data() for e in self.kernel_release}
        if self.kernel_modules:
            kernel["modules"] = {m.name: m.state for m in self.kernel_modules}
        if self.kernel_config:
            kernel["config"] = {e.field: e.matcher.to_data() for e in self.kernel_config}
        if self.kernel_cmdline:
            kernel["cmdline"] = {p.name: p.to_data() for p in self.kernel_cmdline}
        if self.kernel_boot_modules:
            kernel["boot_modules"] = {m.name: m.state for m in self.kernel_boot_modules}
        if kernel:
            data["kernel"] = kernel
        xen: dict[str, object] = {e.field: e.matcher.to_data() for e in self.xen}
        if self.xen_cmdline:
            xen["cmdline"] = {p.name: p.to_data() for p in self.xen_cmdline}
        if xen:
            data["xen"] = xen
        if self.tmem:
            data["tmem"] = {e.field: e.matcher.to_data() for e in self.tmem}
        if self.network_data:
            data["network"] = dict(self.network_data)
        return data


def normalize_slot(text: str) -> str:
    """``00:19.0`` -> ``0000:00:19.0`` (the domain is implied when omitted)."""
    return text if text.count(":") == 2 else f"0000:{text}"


def _matcher(value: object, origins: Origins, path: Path) -> Matcher:
    try:
        return from_data(value, origins[path])
    except ValueError as err:
        err.kpath = path  # type: ignore[attr-defined]
        raise


def _fields(section: str, names: tuple[str, ...], data: Mapping[str, object], origins: Origins) -> tuple[FieldExpectation, ...]:
    out = []
    for name in names:
        if name in data:
            m = _matcher(data[name], origins, (section, name))
            out.append(FieldExpectation(name, _normalize(section, name, m)))
    return tuple(out)


def _normalize(section: str, name: str, m: Matcher) -> Matcher:
    """Slots in ``behind`` are compared in full form; everything else as written."""
    if name != "behind":
        return m
    data = m.to_data()
    if isinstance(data, str):
        return from_data(normalize_slot(data), m.origin)
    if isinstance(data, dict) and "any_of" in data:
        return from_data({"any_of": [normalize_slot(v) if isinstance(v, str) else v for v in data["any_of"]]}, m.origin)
    return m


def _check_addresses(net: Mapping[str, object]) -> None:
    """Every address and network in the network section is a valid IPv4 one (ValueError with the key path)."""
    def address(text: str) -> object:
        return ipaddress.IPv4Address(text)

    def network(text: str) -> object:
        return ipaddress.IPv4Network(text, strict=False)  # host bits allowed, as the kernel allows them

    def check(path: Path, value: object, parse: Callable[[str], object], what: str) -> None:
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
    for prio, spec in entries("rules").items():
        for end in ("from", "to"):
            if end in spec:
                check(("network", "rules", prio, end), spec[end], network, "network")
    for name, spec in entries("interfaces").items():
        for i, addr in enumerate(spec.get("addresses", [])):
            check(("network", "interfaces", name, "addresses", i), addr, ipaddress.IPv4Interface, "address/prefix")
    for table, dsts in entries("routes").items():
        for dst, spec in dsts.items():
            if dst != "default":
                check(("network", "routes", table, dst), dst, network, "destination")
            if "via" in spec:
                check(("network", "routes", table, dst, "via"), spec["via"], address, "gateway")


def build(data: Mapping[str, object], origins: Origins, file: str, chain: tuple[str, ...]) -> Profile:
    """Build a Profile from schema-valid, merged data and the origin of every key.

    :raises ValueError: on a semantic error (bad version spec, min > max), naming the key path
    """
    def section(name: str) -> Mapping[str, object]:
        value = data.get(name) or {}
        assert isinstance(value, dict)
        return value

    pci = None
    if "pci" in data:
        raw = section("pci")
        devices = []
        for key, entry in (raw.get("devices") or {}).items():  # type: ignore[attr-defined]
            path: Path = ("pci", "devices", key)
            ident, _, slot = key.partition("@")

            def prop(name: str, path: Path = path, entry: Mapping[str, object] = entry) -> Matcher | None:
                if name not in entry:
                    return None
                return _normalize("pci", name, _matcher(entry[name], origins, (*path, name)))

            devices.append(PciExpectation(
                key=key, id=ident, slot=normalize_slot(slot) if slot else None,
                title=str(entry.get("title", "")), optional=bool(entry.get("optional", False)),
                count=prop("count"), driver=prop("driver"), subsystem=prop("subsystem"),
                class_code=prop("class"), revision=prop("revision"), behind=prop("behind"),
                origin=origins[path],
            ))
        unlisted = str(raw.get("unlisted_devices", "ignore"))
        pci = PciSection(tuple(devices), unlisted, origins.get(("pci", "unlisted_devices"), origins[("pci",)]))

    cpu = section("cpu")
    flags = tuple(
        FlagExpectation(name, state, origins[("cpu", "flags", name)])
        for name, state in (cpu.get("flags") or {}).items()  # type: ignore[attr-defined]
    )
    kernel = section("kernel")
    modules = tuple(
        ModuleExpectation(name, state, origins[("kernel", "modules", name)])
        for name, state in (kernel.get("modules") or {}).items()  # type: ignore[attr-defined]
    )
    def params(section: str) -> tuple[ParamExpectation, ...]:
        out = []
        for name, value in (section_data(section).get("cmdline") or {}).items():  # type: ignore[attr-defined]
            path: Path = (section, "cmdline", name)
            if isinstance(value, dict):
                out.append(ParamExpectation(name, "value", _matcher(value["value"], origins, (*path, "value")), origins[path]))
            else:
                out.append(ParamExpectation(name, value, None, origins[path]))
        return tuple(out)

    def section_data(name: str) -> Mapping[str, object]:
        return section(name)

    config = tuple(
        FieldExpectation(name, _matcher(value, origins, ("kernel", "config", name)))
        for name, value in (kernel.get("config") or {}).items()  # type: ignore[attr-defined]
    )
    boot_modules = tuple(
        ModuleExpectation(name, state, origins[("kernel", "boot_modules", name)])
        for name, state in (kernel.get("boot_modules") or {}).items()  # type: ignore[attr-defined]
    )
    network = []
    net = section("network")
    _check_addresses(net)
    for kind in ("interfaces", "rules", "routes", "rp_filter", "nat", "openvpn", "paths", "no_leak"):
        for key, spec in (net.get(kind) or {}).items():  # type: ignore[attr-defined]
            origin = origins[("network", kind, key)]
            if kind == "routes":
                for dst, route in spec.items():
                    network.append(NetExpectation(kind, f"{key}/{dst}", tuple(route.items()), origins[("network", kind, key, dst)]))
            elif kind == "openvpn":
                for item, value in spec.items():
                    network.append(NetExpectation(kind, str(key), ((item, value),), origins[("network", kind, key, item)], item))
            elif isinstance(spec, dict):
                network.append(NetExpectation(kind, str(key), tuple(spec.items()), origin))
            else:
                network.append(NetExpectation(kind, str(key), (("want", spec),), origin))
    if "forwarding" in net:
        network.append(NetExpectation("forwarding", "ip_forward", (("want", net["forwarding"]),), origins[("network", "forwarding")]))
    return Profile(
        name=str(data["name"]),
        description=str(data.get("description", "")),
        file=file,
        chain=chain,
        dmi=_fields("dmi", DMI_FIELDS, section("dmi"), origins),
        memory=_fields("memory", MEMORY_FIELDS, section("memory"), origins),
        pci=pci,
        cpu=_fields("cpu", CPU_FIELDS, cpu, origins),
        cpu_flags=flags,
        kernel_release=_fields("kernel", ("release",), kernel, origins),
        kernel_modules=modules,
        kernel_config=config,
        kernel_cmdline=params("kernel"),
        kernel_boot_modules=boot_modules,
        xen=_fields("xen", XEN_FIELDS, section("xen"), origins),
        xen_cmdline=params("xen"),
        tmem=_fields("tmem", ("role",), section("tmem"), origins),
        network=tuple(network),
        network_data=tuple(net.items()),
        sections=frozenset(k for k in ("dmi", "memory", "pci", "cpu", "kernel", "xen", "tmem", "network") if k in data),
    )
