"""Hypothesis: a profile drafted from facts F passes against F, and any single mutation of F
(a device gone, a driver unbound, a flag removed) fails exactly the matching item."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from hwcompat.capture import draft
from hwcompat.facts.cache import FactCache
from hwcompat.plan import evaluate
from hwcompat.profile.loader import dump_data, load_text
from selftests.fakes import DictSource, add_pci


@dataclass(frozen=True)
class Machine:
    devices: tuple[tuple[str, str, str, str, str | None], ...]  # slot, vendor, device, class, driver
    flags: frozenset[str]
    modules: frozenset[str]

    def source(self) -> DictSource:
        src = DictSource()
        for slot, vendor, device, cls, driver in self.devices:
            add_pci(src, slot, vendor, device, cls, driver)
        src.files["/proc/cpuinfo"] = (f"processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 60\n"
                                      f"model name\t: Test CPU\nstepping\t: 3\nflags\t\t: {' '.join(sorted(self.flags))}\n")
        src.files["/proc/meminfo"] = "MemTotal:       16282000 kB\n"
        src.files["/proc/sys/kernel/osrelease"] = "6.1.0-18-amd64\n"
        src.files["/proc/modules"] = "".join(f"{m} 1000 0 - Live 0x0\n" for m in sorted(self.modules))
        return src


_hex4 = st.integers(0, 0xFFFF).map(lambda v: f"{v:04x}")
_name = st.from_regex(r"[a-z][a-z0-9_]{1,10}", fullmatch=True)
machines = st.builds(
    Machine,
    devices=st.lists(
        st.tuples(st.integers(0, 255), st.integers(0, 31), _hex4, _hex4, st.sampled_from(["020000", "010601", "0c0330"]),
                  st.one_of(st.none(), _name)),
        min_size=1, max_size=8, unique_by=lambda t: (t[0], t[1]),
    ).map(lambda ds: tuple((f"0000:{b:02x}:{d:02x}.0", v, dv, c, drv) for b, d, v, dv, c, drv in ds)),
    flags=st.frozensets(_name, min_size=1, max_size=10),
    modules=st.frozensets(_name, max_size=5),
)


def _profile(machine: Machine):
    return load_text(dump_data(draft(FactCache(machine.source()), "captured")))


def _failed(profile, machine: Machine) -> set[str]:
    return {item for item, r in evaluate(profile, FactCache(machine.source())) if r.outcome == "failed"}


@given(machines)
def test_captured_profile_passes_on_its_source(machine: Machine) -> None:
    assert _failed(_profile(machine), machine) == set()


@given(machines, st.data())
def test_single_mutation_fails_exactly_its_item(machine: Machine, data: st.DataObject) -> None:
    profile = _profile(machine)
    i = data.draw(st.integers(0, len(machine.devices) - 1))
    slot, vendor, device, cls, driver = machine.devices[i]
    key = f"{vendor}:{device}@{slot[5:]}"
    kinds = ["device", "flag"] + (["driver"] if driver else [])
    kind = data.draw(st.sampled_from(kinds))
    if kind == "device":
        mutated = Machine(machine.devices[:i] + machine.devices[i + 1:], machine.flags, machine.modules)
        expected = {f"test_pci_device[{key}]"}
    elif kind == "driver":
        mutated = Machine((*machine.devices[:i], (slot, vendor, device, cls, None), *machine.devices[i + 1:]), machine.flags, machine.modules)
        expected = {f"test_pci_device[{key}]"}
    else:
        flag = data.draw(st.sampled_from(sorted(machine.flags)))
        mutated = Machine(machine.devices, machine.flags - {flag}, machine.modules)
        expected = {f"test_cpu_flag[{flag}]"}
    assert _failed(profile, mutated) == expected
