"""Load profiles strictly: YAML with line numbers, the published JSON Schema, ``extends``.

Every error is a :class:`~hwcompat.errors.ProfileError` formatted ``FILE:LINE: key.path: what was
expected, got what``. Duplicate keys are errors (YAML would silently keep the last one).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hwcompat import suite_root
from hwcompat.errors import ProfileError
from hwcompat.matchers import MATCHER_KEYS, Origin
from hwcompat.profile.model import Origins, Profile, build
from hwcompat.profile.model import Path as KeyPath

PROFILES_DIR = suite_root() / "profiles"
SCHEMA_PATH = Path(__file__).resolve().parent / "profile.schema.json"


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema for profiles (hwcompat/profile/profile.schema.json)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def display(path: Path) -> str:
    """A path as a person wants to read it.

    ``profiles/...`` for a shared profile, else relative to the current directory when inside it,
    else as given.
    """
    real = path.resolve()
    if real.is_relative_to(PROFILES_DIR):
        return f"profiles/{real.relative_to(PROFILES_DIR).as_posix()}"
    try:
        return os.path.relpath(path) if real.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def find_profile(ref: str, relative_to: Path | None = None) -> Path:
    """Resolve ``ref`` (a path, or a name under profiles/ such as ``hosts/x10sae-xen-dom0``).

    :raises FileNotFoundError: listing where it looked
    """
    candidates = []
    given = Path(ref)
    if given.suffix in (".yaml", ".yml") or given.is_absolute():
        candidates.append(given if given.is_absolute() or relative_to is None else relative_to / given)
        candidates.append(given)
    for base in ([relative_to] if relative_to else []) + [PROFILES_DIR]:
        candidates += [base / f"{ref}.yaml", base / f"{ref}.yml", base / ref]
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError(", ".join(dict.fromkeys(display(c) for c in candidates)))


# --- YAML with lines ----------------------------------------------------------------------------

def _located(text: str, file: str) -> tuple[object, dict[KeyPath, Origin]]:
    """Parse YAML into plain data plus the line of every key path; duplicate keys are errors."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(err, "problem", None) or str(err)
        raise ProfileError(file, line, "", f"not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    origins: dict[KeyPath, Origin] = {}
    if root is None:
        raise ProfileError(file, 1, "", "the file is empty; expected a mapping with at least 'name'")

    def walk(node: yaml.Node, path: KeyPath) -> object:
        origins.setdefault(path, Origin(file, node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            out: dict[object, object] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node)
                if isinstance(key, int | float | bool) or key is None:
                    key = str(key_node.value) if key is not None else "null"
                    raise ProfileError(file, key_node.start_mark.line + 1, _dotted(path), f"key {key!r} must be a string (quote it)")
                if key in out:
                    first = origins[(*path, key)].line
                    raise ProfileError(file, key_node.start_mark.line + 1, _dotted((*path, key)), f"duplicate key (first at line {first})")
                origins[(*path, key)] = Origin(file, key_node.start_mark.line + 1)
                out[key] = walk(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [walk(item, (*path, i)) for i, item in enumerate(node.value)]
        return loader.construct_object(node)

    try:
        return walk(root, ()), origins
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise ProfileError(file, mark.line + 1 if mark else 0, "", f"not valid YAML: {err}") from None


def _dotted(path: KeyPath) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


# --- schema validation (the subset of JSON Schema the published schema uses) -------------------

def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _got(value: object) -> str:
    if isinstance(value, dict):
        return f"a mapping with keys {', '.join(map(str, value))}" if value else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"{_type_name(value)} {json.dumps(value, default=str)}"


def _resolve_ref(sch: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in sch:
        name = sch["$ref"].removeprefix("#/$defs/")
        extra = {k: v for k, v in sch.items() if k != "$ref"}
        sch = {**schema()["$defs"][name], **extra}
    return sch


def _errors(value: object, sch: Mapping[str, Any], path: KeyPath) -> list[tuple[KeyPath, str]]:
    """Schema errors as (key path, message); empty when valid."""
    sch = _resolve_ref(sch)
    if "anyOf" in sch:
        branches = [_errors(value, b, path) for b in sch["anyOf"]]
        if any(not b for b in branches):
            return []
        if isinstance(value, dict):
            # A mapping names its form by its keys: report the branch that knows them.
            for branch, errs in zip(sch["anyOf"], branches, strict=True):
                props = _resolve_ref(branch).get("properties", {})
                if value and set(value) <= set(props):
                    return errs
        return [(path, f"expected {sch.get('description', 'a valid value')}, got {_got(value)}")]
    if "const" in sch and value != sch["const"]:
        return [(path, f"expected {json.dumps(sch['const'])}, got {_got(value)}")]
    if "enum" in sch and value not in sch["enum"]:
        return [(path, f"expected one of {', '.join(map(str, sch['enum']))}, got {_got(value)}")]
    if "type" in sch:
        types = sch["type"] if isinstance(sch["type"], list) else [sch["type"]]
        name = _type_name(value)
        if name not in types and not (name == "integer" and "number" in types):
            return [(path, f"expected {' or '.join(types)}, got {_got(value)}")]
    errors: list[tuple[KeyPath, str]] = []
    if isinstance(value, str):
        if len(value) < sch.get("minLength", 0):
            errors.append((path, "must not be empty"))
        if "pattern" in sch and not re.search(sch["pattern"], value):
            errors.append((path, f"{value!r} is not of the form {sch.get('description', sch['pattern'])}"))
    if isinstance(value, list):
        if len(value) < sch.get("minItems", 0):
            errors.append((path, f"needs at least {sch['minItems']} item(s)"))
        for i, item in enumerate(value):
            errors += _errors(item, sch.get("items", {}), (*path, i))
    if isinstance(value, dict):
        if len(value) < sch.get("minProperties", 0):
            errors.append((path, "must not be empty"))
        for req in sch.get("required", []):
            if req not in value:
                errors.append((path, f"missing required key {req!r}"))
        props = sch.get("properties", {})
        patterns = sch.get("patternProperties", {})
        for key, item in value.items():
            if key in props:
                errors += _errors(item, props[key], (*path, key))
                continue
            pattern = next((p for p in patterns if re.search(p, key)), None)
            if pattern is not None:
                errors += _errors(item, patterns[pattern], (*path, key))
            elif isinstance(sch.get("additionalProperties"), dict):
                errors += _errors(item, sch["additionalProperties"], (*path, key))
            elif sch.get("additionalProperties") is False:
                if patterns:
                    hint = sch.get("description", "")
                    errors.append(((*path, key), f"key {key!r} is not valid here: {hint}"))
                else:
                    known = ", ".join(props)
                    errors.append(((*path, key), f"unknown key {key!r}; expected one of: {known}"))
    return errors


# --- extends and merge ------------------------------------------------------------------------

def _is_matcher(value: object) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= MATCHER_KEYS


def _merge(base: dict[str, Any], base_origins: dict[KeyPath, Origin], over: Mapping[str, Any],
           over_origins: Mapping[KeyPath, Origin], path: KeyPath = ()) -> None:
    """Apply ``over`` onto ``base`` in place: mappings merge key by key, values (matchers) replace."""
    for key, value in over.items():
        kpath = (*path, key)
        if isinstance(value, dict) and not _is_matcher(value) and isinstance(base.get(key), dict) and not _is_matcher(base[key]):
            base_origins[kpath] = over_origins[kpath]
            _merge(base[key], base_origins, value, over_origins, kpath)
            continue
        if key in base:
            for p in _paths(base[key], kpath):
                base_origins.pop(p, None)
        base[key] = _copy(value)
        base_origins.update({p: over_origins[p] for p in _paths(value, kpath) if p in over_origins})


def _paths(value: Any, path: KeyPath) -> list[KeyPath]:
    """The key path of ``value`` and of everything inside it."""
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _validated(text: str, file: str) -> tuple[dict[str, Any], dict[KeyPath, Origin], Profile]:
    """Parse, schema-check and build one file on its own: every error names this file's lines."""
    data, origins = _located(text, file)
    if not isinstance(data, dict):
        raise ProfileError(file, 1, "", f"expected a mapping with at least 'name', got {_got(data)}")
    errors = _errors(data, schema(), ())
    if errors:
        kpath, message = errors[0]
        raise ProfileError(file, origins.get(kpath, Origin(file, 0)).line, _dotted(kpath), message)
    try:
        return data, origins, build(data, origins, file, (file,))
    except ValueError as err:
        raise _semantic(err, origins, file) from None


def _load_file(path: Path) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    file = display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(file, 0, "", f"cannot read: {getattr(err, 'strerror', None) or err}") from None
    data, origins, _ = _validated(text, file)
    return data, origins


def _semantic(err: ValueError, origins: Origins, file: str) -> ProfileError:
    kpath: KeyPath = getattr(err, "kpath", ())
    return ProfileError(file, origins.get(kpath, Origin(file, 0)).line, _dotted(kpath), str(err))


def _resolve(path: Path, stack: tuple[Path, ...]) -> tuple[dict[str, Any], dict[KeyPath, Origin], tuple[str, ...]]:
    data, origins = _load_file(path)
    merged: dict[str, Any] = {}
    merged_origins: dict[KeyPath, Origin] = {}
    chain: list[str] = []
    for i, ref in enumerate(data.get("extends", [])):
        origin = origins[("extends", i)]
        try:
            parent = find_profile(ref, path.parent)
        except FileNotFoundError as err:
            raise ProfileError(origin.file, origin.line, f"extends[{i}]", f"profile {ref!r} not found (looked for {err})") from None
        if parent.resolve() in stack:
            cycle = " -> ".join(display(p) for p in (*stack, parent.resolve()))
            raise ProfileError(origin.file, origin.line, f"extends[{i}]", f"cyclic extends: {cycle}")
        pdata, porigins, pchain = _resolve(parent, (*stack, parent.resolve()))
        _merge(merged, merged_origins, pdata, porigins)
        chain += [c for c in pchain if c not in chain]
    own = {k: v for k, v in data.items() if k != "extends"}
    _merge(merged, merged_origins, own, {p: o for p, o in origins.items() if not p or p[0] != "extends"})
    merged_origins[()] = origins[()]
    chain.append(display(path))
    return merged, merged_origins, tuple(chain)


def load(ref: str | Path) -> Profile:
    """Load a profile by path or name and resolve its ``extends``.

    :raises ProfileError: for every kind of bad input, formatted ``FILE:LINE: key: message``
    """
    try:
        path = ref if isinstance(ref, Path) else find_profile(ref)
    except FileNotFoundError as err:
        raise ProfileError(str(ref), 0, "", f"no such profile (looked for {err})") from None
    data, origins, chain = _resolve(path, (path.resolve(),))
    try:
        return build(data, origins, display(path), chain)
    except ValueError as err:
        raise _semantic(err, origins, display(path)) from None


def load_all(refs: list[str]) -> Profile:
    """The profiles named on a command line (``capture --extends``), merged in order, as one profile.

    :raises ProfileError: naming ``--extends`` for a profile that is not found
    """
    merged: dict[str, Any] = {}
    merged_origins: dict[KeyPath, Origin] = {}
    chain: list[str] = []
    for ref in refs:
        try:
            path = find_profile(ref)
        except FileNotFoundError as err:
            raise ProfileError("--extends", 0, "", f"profile {ref!r} not found (looked for {err})") from None
        data, origins, pchain = _resolve(path, (path.resolve(),))
        _merge(merged, merged_origins, data, origins)
        chain += [c for c in pchain if c not in chain]
    merged["name"] = " + ".join(refs)
    try:
        return build(merged, merged_origins, "--extends", tuple(chain))
    except ValueError as err:
        raise _semantic(err, merged_origins, "--extends") from None


def load_text(text: str, file: str = "<profile>") -> Profile:
    """Load a profile from text (no ``extends``); used by self-tests and capture."""
    data, origins, profile = _validated(text, file)
    if data.get("extends"):
        raise ProfileError(file, origins[("extends",)].line, "extends", "not allowed in a profile loaded from text")
    return profile


def dump(profile: Profile, extends: tuple[str, ...] = (), header: str = "") -> str:
    """YAML text for a profile; ``load_text(dump(p))`` gives back the same expectations."""
    data = profile.to_data()
    if extends:
        data = {"name": data.pop("name"), **({"description": data.pop("description")} if "description" in data else {}),
                "extends": list(extends), **data}
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
    return header + body
