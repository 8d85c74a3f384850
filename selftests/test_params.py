"""Profile parameters: a role takes what differs between machines from params, a host or --param sets
them, and every misuse is a profile error naming FILE:LINE (exit 4)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hwcompat.errors import ProfileError
from hwcompat.profile import loader
from selftests.conftest import REPO
from selftests.test_suite import hwcompat

VLAN_GATEWAY = REPO / "snapshots/vpn-gateway-vlan"
#: the role's parameters for the gateway without a bridge (hosts/vpn-gateway-vlan sets the same), as --param flags
VLAN_PARAMS = [f"--param={p.name}={p.value}" for p in loader.load("hosts/vpn-gateway-vlan").params]


def _run(tmp_path: Path, snapshot: Path, *args: str) -> tuple[int, dict[str, str]]:
    out = tmp_path / "r.json"
    proc = hwcompat("run", "--profile", "roles/vpn-split-gateway", "--snapshot", str(snapshot), "--json", str(out), *args)
    return proc.returncode, {i["test"].split("::")[1]: i["outcome"] for i in json.loads(out.read_text())["items"]}


def test_a_gateway_without_a_bridge_passes_the_role_with_its_vlan_interface_as_a_parameter(tmp_path: Path) -> None:
    code, items = _run(tmp_path, VLAN_GATEWAY, *VLAN_PARAMS)
    assert "--param=vlan_if=eth0.6" in VLAN_PARAMS and code == 0, {k: v for k, v in items.items() if v == "failed"}
    assert items["test_network_interface[vlan]"] == "passed" and items["test_network_no_leak[vlan-internet]"] == "passed"


def test_without_the_leak_guard_it_fails_only_the_leak(tmp_path: Path) -> None:
    snap = tmp_path / "gw"
    shutil.copytree(VLAN_GATEWAY, snap, symlinks=True)
    routes = snap / "cmd/ip_-j_route_show_table_all"
    routes.write_text(json.dumps([r for r in json.loads(routes.read_text()) if r.get("type") != "unreachable"]) + "\n")
    code, items = _run(tmp_path, snap, *VLAN_PARAMS)
    assert code == 1 and {k for k, v in items.items() if v == "failed"} == {"test_network_no_leak[vlan-internet]"}


def test_the_seed_host_sets_the_parameter_and_shows_where_each_value_came_from() -> None:
    proc = hwcompat("profiles", "show", "hosts/vpn-gateway", "--param", "lan_if=eth1")
    assert proc.returncode == 0, proc.stderr
    assert "# param vlan_if = 'br6'   (profiles/hosts/vpn-gateway.yaml:" in proc.stdout
    assert "# param lan_if = 'eth1'   (--param)" in proc.stdout
    assert "# param tunnel = 'tun-hma'   (profiles/hosts/vpn-gateway.yaml:" in proc.stdout


def test_the_shared_role_has_no_host_values_and_names_every_unset_parameter_at_once() -> None:
    """A role that defaulted to the seed's names checked other gateways against tun-hma and 192.168.6.x."""
    role = loader.load("roles/vpn-split-gateway", template=True)
    assert role.params and all(p.value is None for p in role.params), [(p.name, p.value) for p in role.params if p.value is not None]
    with pytest.raises(ProfileError) as info:
        loader.load("roles/vpn-split-gateway", given={"vlan_if": "eth0.6", "lan_if": "eth0"})
    text = str(info.value)
    assert " parameters " in text and " have no value: set them in a host profile (params: {" in text
    for name in (p.name for p in role.params):
        told = (f"{name!r}" in text, f"{name}: VALUE" in text, f"--param {name}=VALUE" in text)
        assert told == ((False,) * 3 if name in ("vlan_if", "lan_if") else (True,) * 3), (name, text)


def test_a_bad_value_is_reported_where_the_key_using_it_was_written() -> None:
    """It named the host file with the role's line number (hosts/vpn-gateway-vlan.yaml:33 of an 18-line file)."""
    proc = hwcompat("run", "--profile", "hosts/vpn-gateway-vlan", "--snapshot", str(VLAN_GATEWAY), "--param", "vlan_net=300.1.1.0/24")
    line = next(i for i, t in enumerate((REPO / "profiles/roles/vpn-split-gateway.yaml").read_text().splitlines(), 1) if "from: \"${vlan_net}\"" in t)
    assert proc.returncode == 4 and f"profiles/roles/vpn-split-gateway.yaml:{line}: network.nat.tunnel.from: '300.1.1.0/24'" in proc.stdout + proc.stderr


@pytest.mark.parametrize("command", ["run", "fleet"])
def test_an_empty_command_line_value_is_a_usage_error_not_a_value(command: str) -> None:
    """`--param vlan_if=` judged the gateway by an interface named '' (NOT COMPATIBLE, exit 1)."""
    where = ["--snapshot", str(VLAN_GATEWAY)] if command == "run" else [str(VLAN_GATEWAY)]
    proc = hwcompat(command, "--profile", "hosts/vpn-gateway-vlan", *where, "--param", "vlan_if=")
    assert proc.returncode == 4 and "an empty value is no value" in proc.stdout + proc.stderr, proc.stdout[-500:] + proc.stderr


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "line", "words"), [
    ("name: p\nparams: {a: null}\nkernel:\n  release: {version: '>=${a}'}\n", 4, "parameter 'a' has no value: set it in a host profile"),
    ("name: p\nkernel:\n  release: {version: '>=${b}'}\n", 3, "parameter 'b' is not declared"),
    ("name: p\nparams: {a: '${b}', b: '${a}'}\nkernel:\n  release: '${a}'\n", 2, "parameters use each other in a circle: a -> b -> a"),
    ("name: p\nparams: {a: eth0}\nnetwork:\n  interfaces:\n    ${a}: {up: true}\n", 5, "a parameter cannot stand in a key"),
    ("name: p\nparams: {a: x}\ndmi:\n  board_name: '${a'\n", 4, "write a parameter as ${name}"),
    ("name: p\nparams: {n: 'six'}\nnetwork:\n  interfaces:\n    eth0.6: {vlan_id: '${n}'}\n", 5, "network.interfaces.eth0.6.vlan_id: expected"),
])
def test_misused_parameters_are_profile_errors_naming_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ProfileError) as info:
        loader.load(path)
    assert info.value.line == line and words in str(info.value), str(info.value)
    proc = hwcompat("run", "--profile", str(path), "--snapshot", str(VLAN_GATEWAY))
    assert proc.returncode == 4 and words in proc.stdout + proc.stderr and "Traceback" not in proc.stdout + proc.stderr


def test_a_whole_value_keeps_its_type_and_a_spliced_one_becomes_text(tmp_path: Path) -> None:
    profile = loader.load(_write(tmp_path, "name: p\nparams: {id: 6, dev: eth0}\nnetwork:\n  interfaces:\n"
                                           "    vlan: {name: '${dev}.${id}', vlan_id: '${id}'}\n"))
    [vlan] = profile.network
    assert vlan.name == "eth0.6" and vlan.get("vlan_id") == 6


@pytest.mark.parametrize(("args", "words"), [
    (("--param", "nope=1"), "the profile declares no parameter 'nope'"),
    (("--param", "broken"), "--param: broken: write it as NAME=VALUE"),
    ((), "'vlan_if', "),
    ((), "have no value: set them in a host profile"),
])
def test_command_line_parameters_that_cannot_apply_are_usage_errors(args: tuple[str, ...], words: str) -> None:
    proc = hwcompat("run", "--profile", "roles/vpn-split-gateway", "--snapshot", str(VLAN_GATEWAY), *args)
    assert proc.returncode == 4 and words in proc.stdout + proc.stderr
