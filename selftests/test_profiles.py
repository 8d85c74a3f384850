"""Profiles: every shipped one loads; every bad one fails with FILE:LINE: key: message."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from hwcompat.checks.pci import PROPERTIES as PCI_PROPERTIES
from hwcompat.errors import ProfileError
from hwcompat.profile import loader
from selftests.conftest import REPO

DATA = Path(__file__).parent / "data" / "profiles"
SHIPPED = sorted(loader.PROFILES_DIR.rglob("*.yaml"))

BAD = {
    "bad-unknown-key": (3, "cpu.famly: unknown key 'famly'"),
    "bad-duplicate-key": (4, "cpu.family: duplicate key (first at line 3)"),
    "bad-wrong-type": (3, 'cpu.family: expected an integer, or {min: N, max: N} (either or both), or {any_of: [N, ...]}, got string "six"'),
    "bad-missing-extends": (3, "extends[0]: profile 'boards/no-such-board' not found"),
    "bad-cycle-a": (3, "cyclic extends"),
    "bad-uppercase-id": (4, "pci.devices.8086:153A@00:19.0: key '8086:153A@00:19.0' is not valid here: keyed by lowercase"),
    "bad-min-above-max": (3, "memory.total_mb: min 9000 is greater than max 100"),
    "bad-yaml": (3, "not valid YAML"),
    "bad-network-address": (4, "network.rules.201.from: '192.168.6.1/33' is not a valid IPv4 network"),
    "bad-flag-state": (4, "cpu.flags.avx2: expected one of required, forbidden, ignored, got string \"yes-please\""),
}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(loader.PROFILES_DIR).as_posix())
def test_shipped_profile_loads(path: Path) -> None:
    profile = loader.load(path, template=True)
    assert profile.name and profile.description


@pytest.mark.parametrize("index", [0, 1])
def test_readme_examples_are_valid_profiles(tmp_path: Path, index: int) -> None:
    """The profile examples in the README load as written (the network one is a section of a
    profile declaring its parameter): a renamed key fails here, not on a reader's machine."""
    blocks = re.findall(r"```yaml\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert len(blocks) == 2
    text = blocks[index] if index == 0 else "name: n\ndescription: d\nparams: {tunnel: tun-hma}\n" + blocks[index]
    (tmp_path / "example.yaml").write_text(text)
    loader.load(tmp_path / "example.yaml", template=True)


def test_every_bad_case_is_pinned() -> None:
    assert {p.stem for p in DATA.glob("bad-*.yaml")} - {"bad-cycle-b"} == set(BAD)


@pytest.mark.parametrize(("stem", "want"), sorted(BAD.items()))
def test_bad_profile_message(stem: str, want: tuple[int, str]) -> None:
    line, text = want
    with pytest.raises(ProfileError) as info:
        loader.load(DATA / f"{stem}.yaml")
    assert info.value.line == line
    assert text in str(info.value)
    assert str(info.value).startswith(f"{info.value.file}:{line}:")


def test_host_profile_resolves_extends_with_provenance() -> None:
    host = loader.load("hosts/x10sae-xen-dom0")
    assert [Path(c).name for c in host.chain] == ["intel-c220.yaml", "supermicro-x10sae.yaml", "intel-xeon-e3-1265l-v3.yaml", "xen-dom0.yaml",
                                                "xen-dom0-tmem.yaml", "x10sae-xen-dom0.yaml"]
    flags = {f.name: f for f in host.cpu_flags}
    assert flags["hypervisor"].state == "required" and flags["hypervisor"].origin.file.endswith("hosts/x10sae-xen-dom0.yaml")
    assert flags["hle"].state == "ignored" and flags["hle"].origin.file.endswith("cpus/intel-xeon-e3-1265l-v3.yaml")
    assert flags["avx2"].state == "required" and flags["avx2"].origin.file.endswith("cpus/intel-xeon-e3-1265l-v3.yaml")
    sas = next(d for d in host.pci.devices if d.id == "1000:0072")
    driver = sas.prop("driver")
    assert not sas.optional and driver is not None and driver.matches("mpt3sas") and driver.matches("mpt2sas")


def test_board_profile_does_not_require_the_add_in_hba() -> None:
    board = loader.load("boards/supermicro-x10sae")
    assert all(d.id != "1000:0072" for d in board.pci.devices)


def test_relative_display_of_origins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text("name: p\ncpu:\n  family: 6\n")
    assert str(loader.load("p.yaml").cpu[0].matcher.origin) == "p.yaml:3"
    assert os.path.basename(loader.load(tmp_path / "p.yaml").file) == "p.yaml"


_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=12)
_matcher = st.one_of(_text, st.none(), st.builds(lambda v: {"any_of": v}, st.lists(st.one_of(_text, st.none()), min_size=1, max_size=3)),
                     st.builds(lambda v: {"contains": v}, _text), st.just({"absent": True}))
_device = st.fixed_dictionaries({}, optional={p: _matcher for p in PCI_PROPERTIES if p not in ("behind", "numa_node")}
                                | {"numa_node": st.one_of(st.none(), st.integers(0, 7)), "optional": st.booleans(), "title": _text})
_key = st.builds(lambda v, d, s: f"{v:04x}:{d:04x}" + (f"@00:{s:02x}.0" if s is not None else ""),
                 st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.one_of(st.none(), st.integers(0, 31)))
_profile = st.fixed_dictionaries({"name": _text}, optional={
    "pci": st.fixed_dictionaries({"unlisted_devices": st.sampled_from(["ignore", "report", "fail"]),
                                  "devices": st.dictionaries(_key, _device, max_size=4)}),
    "cpu": st.fixed_dictionaries({}, optional={"family": st.integers(0, 30), "model_name": _matcher,
                                               "microcode": st.builds(lambda a: {"min": a}, st.integers(0, 999)),
                                               "flags": st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
                                                                        st.sampled_from(["required", "forbidden", "ignored"]), max_size=5)}),
    "kernel": st.fixed_dictionaries({}, optional={"release": st.builds(lambda a, b: {"version": f">={a}.{b}"}, st.integers(2, 7), st.integers(0, 20)),
                                                  "modules": st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
                                                                             st.sampled_from(["loaded", "available", "not_loaded", "absent"]), max_size=4)}),
})


@given(_profile)
def test_load_dump_round_trip(data: dict[str, object]) -> None:

    first = loader.load_text(loader.dump_data(data))
    second = loader.load_text(loader.dump(first))
    assert second.to_data() == first.to_data()


def test_a_section_whose_only_key_is_named_like_a_matcher_still_merges() -> None:
    # the guest host's xen section is just `version: {...}`; it must add to the role's xen section, not replace it
    guest = loader.load("hosts/xen-guest-tmem")
    assert [(e.key, str(e.origin).split(":")[0]) for e in guest.xen] == [
        ("role", "profiles/roles/xen-guest-tmem.yaml"), ("version", "profiles/hosts/xen-guest-tmem.yaml")]


class _PythonDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


_yaml_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30),
              st.sampled_from(["0x8086", "8086:1533@00:1c.3/00.0", "yes", "1e3", "- x", "a: b", "'"])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)


@given(st.dictionaries(st.text(max_size=12), _yaml_value, max_size=6))
def test_what_dump_data_writes_reads_back_as_the_same_data(data: dict) -> None:
    """dump_data uses libyaml's emitter for speed (its text may differ in form, e.g. an empty key); it must mean the same."""
    assert yaml.safe_load(loader.dump_data(data)) == data


@pytest.mark.parametrize("name", [p.relative_to(REPO / "profiles").with_suffix("").as_posix() for p in sorted((REPO / "profiles").rglob("*.yaml"))])
def test_every_shipped_profile_is_written_as_the_pure_python_dumper_writes_it(name: str) -> None:
    data = yaml.safe_load((REPO / "profiles" / f"{name}.yaml").read_text())
    assert loader.dump_data(data) == yaml.dump(data, Dumper=_PythonDumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


def test_text_libyaml_cannot_encode_is_written_by_pyyaml_instead() -> None:
    """A lone surrogate (an undecodable byte of a path) makes libyaml raise; PyYAML's emitter escapes it."""
    assert "\\uDCFF" in loader.dump_data({"description": "captured from box\udcff"})
