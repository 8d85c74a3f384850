"""The loader's schema check agrees with jsonschema on the published profile schema.

The loader validates profiles with its own code for the subset of JSON Schema the schema uses
(it names FILE:LINE and the key, defers ``${param}`` values until they are set, and costs nothing
to import). This proves it is the same check jsonschema makes: on every shipped and bad profile,
and on random mutations of the shipped ones.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcompat.errors import ProfileError
from hwcompat.profile import loader

SCHEMA = loader.schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
FILES = sorted(loader.PROFILES_DIR.rglob("*.yaml")) + sorted((Path(__file__).parent / "data" / "profiles").glob("*.yaml"))


def _data(path: Path) -> Any:
    try:
        data, _ = loader._located(path.read_text(), str(path))
    except ProfileError:  # not YAML at all (or duplicate keys): nothing for a schema to say
        return None
    return data


def _templated(value: object) -> bool:
    return "${" in json.dumps(value, default=str)


def _ours(data: object) -> bool:
    return not loader._errors(data, SCHEMA, ())


def _theirs(data: object) -> bool:
    return VALIDATOR.is_valid(json.loads(json.dumps(data, default=str)))


def test_the_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_shipped_and_bad_profiles_get_the_same_answer(path: Path) -> None:
    data = _data(path)
    if data is None or _templated(data):
        pytest.skip("not YAML, or holds ${parameters} (checked once they are set)")
    assert _ours(data) == _theirs(data), sorted(e.message for e in VALIDATOR.iter_errors(data))[:3]


SHIPPED = [d for d in (_data(p) for p in sorted(loader.PROFILES_DIR.rglob("*.yaml"))) if d is not None and not _templated(d)]
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 70000), st.sampled_from(["", "e1000e", "0x17", "y", "m", "n", "present", "absent",
                                                                                     "required", "dom0", ">=4.3", "8086:153a", "00:19.0"]),
                   st.lists(st.sampled_from(["a", "m", "y"]), max_size=2), st.dictionaries(st.sampled_from(["min", "max", "any_of", "version", "x"]),
                                                                                         st.integers(0, 9), max_size=2))


def _paths(value: object, here: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [here]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*here, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*here, i))
    return out


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(SHIPPED))), st.data())
def test_mutated_profiles_get_the_same_answer(index: int, data: st.DataObject) -> None:
    profile = copy.deepcopy(SHIPPED[index])
    path = data.draw(st.sampled_from(_paths(profile)[1:]))
    parent: Any = profile
    for key in path[:-1]:
        parent = parent[key]
    action = data.draw(st.sampled_from(["replace", "delete", "add-key"]))
    if action == "replace":
        parent[path[-1]] = data.draw(LEAVES)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(st.sampled_from(["x", "driver", "min", "typo_key", "count"]))] = data.draw(LEAVES)
    assert _ours(profile) == _theirs(profile)


@pytest.mark.parametrize(("where", "value"), [(("network", "paths", "tunnel-itself", "proto"), -1),
                                              (("network", "paths", "tunnel-itself", "dport"), 70000),
                                              (("network", "paths", "tunnel-itself", "dport"), 65535)])
def test_numbers_out_of_the_schemas_range_are_refused_as_jsonschema_refuses_them(where: tuple[str, ...], value: int) -> None:
    """The loader's validator ignored minimum/maximum: proto -1 passed it (hypothesis found it; this pins it)."""
    profile = copy.deepcopy(next(d for d in SHIPPED if d["name"] == "wg-quick-fulltunnel"))
    parent: Any = profile
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    assert _ours(profile) == _theirs(profile) == (value == 65535)
