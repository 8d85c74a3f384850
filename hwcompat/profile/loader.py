"""Load profiles strictly: YAML with line numbers, the published JSON Schema, ``extends``.

Every error is a :class:`~hwcompat.errors.ProfileError` formatted ``FILE:LINE: key.path: what was
expected, got what``. Duplicate keys are errors (YAML would silently keep the last one).
"""

from __future__ import annotations

import datetime
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
from hwcompat.matchers import Origin
from hwcompat.profile import params
from hwcompat.profile.model import Origins, Profile, Waiver, build, waivers_from
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


_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
_SUFFIXES = (".yaml", ".yml")


def find_profile(ref: str, relative_to: Path | None = None) -> Path:
    """Resolve ``ref``: a path to a ``.yaml``/``.yml`` file, or a name under profiles/ such as ``hosts/x10sae-xen-dom0``.

    Nothing else is ever opened: a name is looked up only as ``<name>.yaml`` or ``<name>.yml``
    inside profiles/ (or beside the profile that names it), never outside them.

    :raises FileNotFoundError: listing where it looked (or saying why the reference is refused)
    """
    given = Path(ref)
    if given.suffix in _SUFFIXES:
        candidates = [relative_to / given] if relative_to is not None and not given.is_absolute() else []
        candidates.append(given)
    elif not _NAME.fullmatch(ref) or ".." in ref.split("/"):
        raise FileNotFoundError(f"{ref[:80]!r} is neither a profile name (like hosts/x10sae-xen-dom0) nor a .yaml or .yml file")
    else:
        candidates = []
        for base in ([relative_to] if relative_to else []) + [PROFILES_DIR]:
            candidates += [c for c in (base / f"{ref}.yaml", base / f"{ref}.yml") if c.resolve().is_relative_to(base.resolve())]
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError(", ".join(dict.fromkeys(display(c) for c in candidates)))


# --- YAML with lines ----------------------------------------------------------------------------

MAX_PROFILE_BYTES = 16 << 20
MAX_DEPTH = 40
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it: same nodes, much faster


def _yaml_error(err: yaml.YAMLError, text: str, file: str) -> ProfileError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    if mark is not None:
        line = mark.line + 1
    elif isinstance(getattr(err, "position", None), int):  # the reader's errors (a NUL, a control character)
        line = text.count("\n", 0, err.position) + 1  # type: ignore[attr-defined]
    else:
        line = 0
    problem = getattr(err, "problem", None) or getattr(err, "reason", None) or str(err).splitlines()[0]
    return ProfileError(file, line, "", f"not valid YAML: {problem}")


def _located(text: str, file: str) -> tuple[object, dict[KeyPath, Origin]]:
    """Parse YAML into plain data plus the line of every key path.

    Duplicate keys, keys that are not strings, anchors and aliases (a profile never needs them, and
    they make tiny files expand without bound) and nesting deeper than any profile are errors.
    """
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as err:
        raise _yaml_error(err, text, file) from None
    except RecursionError:
        raise ProfileError(file, 0, "", "not valid YAML: nested too deeply") from None
    origins: dict[KeyPath, Origin] = {}
    if root is None:
        raise ProfileError(file, 1, "", "the file is empty; expected a mapping with at least 'name'")
    seen: set[int] = set()

    def walk(node: yaml.Node, path: KeyPath) -> object:
        line = node.start_mark.line + 1
        if id(node) in seen:
            # the node is the anchored one (its own line); the alias sits where this key or item was written
            used = origins.get(path) or origins.get(path[:-1]) or Origin(file, line)
            raise ProfileError(file, used.line, _dotted(path), "YAML aliases (*name) are not allowed in a profile: write the value out")
        if len(path) > MAX_DEPTH:
            raise ProfileError(file, line, _dotted(path[:3]) + "...", f"nested more than {MAX_DEPTH} levels deep; no profile key is")
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            seen.add(id(node))
        origins.setdefault(path, Origin(file, line))
        if isinstance(node, yaml.MappingNode):
            out: dict[object, object] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                if not isinstance(key, str):
                    shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else f"a {key_node.id}"
                    raise ProfileError(file, key_node.start_mark.line + 1, _dotted(path), f"key {str(shown)[:80]!r} must be a string (quote it)")
                if key in out:
                    first = origins[(*path, key)].line
                    raise ProfileError(file, key_node.start_mark.line + 1, _dotted((*path, key)), f"duplicate key (first at line {first})")
                origins[(*path, key)] = Origin(file, key_node.start_mark.line + 1)
                out[key] = walk(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [walk(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            value = loader.construct_object(node)
        except ValueError:  # a date YAML cannot build (2027-02-30): keep the text, the schema or the model says what is wrong
            return node.value
        # an unquoted 2014-09-02 is a date to YAML; profiles compare and write dates as text
        return value.isoformat() if isinstance(value, datetime.date) else value

    try:
        return walk(root, ()), origins
    except yaml.YAMLError as err:
        raise _yaml_error(err, text, file) from None
    finally:
        loader.dispose()


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
        keys = ", ".join(str(k)[:40] for k in list(value)[:8]) + (", ..." if len(value) > 8 else "")
        return f"a mapping with keys {keys}" if value else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    shown = json.dumps(value, default=str)
    return f"{_type_name(value)} {shown if len(shown) <= 80 else shown[:77] + '...'}"


_RESOLVED: dict[int, Mapping[str, Any]] = {}


def _resolve_ref(sch: Mapping[str, Any]) -> Mapping[str, Any]:
    if "$ref" not in sch:
        return sch
    if id(sch) not in _RESOLVED:  # the schema's own dicts live as long as the process: resolve each once
        out = sch
        while "$ref" in out:
            name = out["$ref"].removeprefix("#/$defs/")
            out = {**schema()["$defs"][name], **{k: v for k, v in out.items() if k != "$ref"}}
        _RESOLVED[id(sch)] = out
    return _RESOLVED[id(sch)]


_QUICK: list[tuple[KeyPath, str]] = [((), "")]  # what _errors returns in quick mode for any error: no message is worth building yet


def _errors(value: object, sch: Mapping[str, Any], path: KeyPath, quick: bool = False) -> list[tuple[KeyPath, str]]:
    """Schema errors as (key path, message); empty when valid. ``quick``: stop at the first error, without words.

    A value that uses a parameter (``${name}``) is checked once the parameters are substituted.
    """
    if isinstance(value, str) and "${" in value:
        return []
    sch = _resolve_ref(sch)
    if "anyOf" in sch:
        if any(not _errors(value, b, path, quick=True) for b in sch["anyOf"]):
            return []
        if quick:
            return _QUICK
        branches = [_errors(value, b, path) for b in sch["anyOf"]]
        if isinstance(value, dict):
            # A mapping names its form by its keys: report the branch that knows them.
            for branch, errs in zip(sch["anyOf"], branches, strict=True):
                props = _resolve_ref(branch).get("properties", {})
                if value and set(value) <= set(props):
                    return errs
        return [(path, f"expected {sch.get('description', 'a valid value')}, got {_got(value)}")]
    if "const" in sch and value != sch["const"]:
        return _QUICK if quick else [(path, f"expected {json.dumps(sch['const'])}, got {_got(value)}")]
    if "enum" in sch and value not in sch["enum"]:
        return _QUICK if quick else [(path, f"expected one of {', '.join(map(str, sch['enum']))}, got {_got(value)}")]
    if "type" in sch:
        types = sch["type"] if isinstance(sch["type"], list) else [sch["type"]]
        name = _type_name(value)
        if name not in types and not (name == "integer" and "number" in types):
            if quick:
                return _QUICK
            return [(path, f"expected {' or '.join(types)}, got {_got(value)}")]
    errors: list[tuple[KeyPath, str]] = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = sch.get("minimum"), sch.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"{low} to {high}" if low is not None and high is not None else f"at least {low}" if low is not None else f"at most {high}"
            errors.append((path, f"{value} is out of range ({span})"))
    if isinstance(value, str):
        if len(value) < sch.get("minLength", 0):
            errors.append((path, "must not be empty"))
        if "pattern" in sch and not re.search(sch["pattern"], value):
            errors.append((path, f"{value!r} is not of the form {sch.get('description', sch['pattern'])}"))
    if isinstance(value, list):
        if len(value) < sch.get("minItems", 0):
            errors.append((path, f"needs at least {sch['minItems']} item(s)"))
        for i, item in enumerate(value):
            errors += _errors(item, sch.get("items", {}), (*path, i), quick)
            if quick and errors:
                return _QUICK
    if isinstance(value, dict):
        if len(value) < sch.get("minProperties", 0):
            errors.append((path, "must not be empty"))
        for req in sch.get("required", []):
            if req not in value:
                errors.append((path, f"missing required key {req!r}"))
        props = sch.get("properties", {})
        patterns = sch.get("patternProperties", {})
        for key, item in value.items():
            if quick and errors:
                return _QUICK
            if key in props:
                errors += _errors(item, props[key], (*path, key), quick)
                continue
            pattern = next((p for p in patterns if re.search(p, key)), None)
            if pattern is not None:
                errors += _errors(item, patterns[pattern], (*path, key), quick)
            elif isinstance(sch.get("additionalProperties"), dict):
                errors += _errors(item, sch["additionalProperties"], (*path, key), quick)
            elif sch.get("additionalProperties") is False:
                if patterns:
                    hint = sch.get("description", "")
                    errors.append(((*path, key), f"key {key!r} is not valid here: {hint}"))
                else:
                    known = ", ".join(props)
                    errors.append(((*path, key), f"unknown key {key!r}; expected one of: {known}"))
    return _QUICK if quick and errors else errors


# --- extends and merge ------------------------------------------------------------------------

def _schema_at(path: KeyPath) -> Mapping[str, Any]:
    """The schema of the value at a key path (``{}`` where the schema says nothing)."""
    sch: Mapping[str, Any] = schema()
    for key in path:
        sch = _resolve_ref(sch)
        if isinstance(key, int):
            sch = sch.get("items", {})
            continue
        pattern = next((p for p in sch.get("patternProperties", {}) if re.search(p, key)), None)
        if key in sch.get("properties", {}):
            sch = sch["properties"][key]
        elif pattern is not None:
            sch = sch["patternProperties"][pattern]
        else:
            extra = sch.get("additionalProperties")
            sch = extra if isinstance(extra, dict) else {}
    return _resolve_ref(sch)


def _mergeable(path: KeyPath) -> bool:
    """True for a mapping the schema defines as one (a section, a device entry), merged key by key on extends.

    A matcher written as a mapping (``{version: ">=4.3"}``, ``{any_of: [...]}``) is one value and
    replaces what an extended profile said, whatever its keys happen to be called.
    """
    sch = _schema_at(path)
    return sch.get("type") == "object" and "anyOf" not in sch


def _merge(base: dict[str, Any], base_origins: dict[KeyPath, Origin], over: Mapping[str, Any],
           over_origins: Mapping[KeyPath, Origin], path: KeyPath = ()) -> None:
    """Apply ``over`` onto ``base`` in place: mappings merge key by key, values (matchers) replace."""
    for key, value in over.items():
        kpath = (*path, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict) and _mergeable(kpath):
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


def _validated(text: str, file: str) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """Parse and schema-check one file on its own: every error names this file's lines."""
    data, origins = _located(text, file)
    if not isinstance(data, dict):
        raise ProfileError(file, 1, "", f"expected a mapping with at least 'name', got {_got(data)}")
    _check(data, origins, file)
    return data, origins


def _check(data: Mapping[str, Any], origins: Mapping[KeyPath, Origin], file: str) -> None:
    errors = _errors(data, schema(), ())
    if errors:
        kpath, message = errors[0]
        where = origins.get(kpath, Origin(file, 0))
        raise ProfileError(where.file, where.line, _dotted(kpath), message)


def _finish(data: dict[str, Any], origins: dict[KeyPath, Origin], file: str, chain: tuple[str, ...], given: Mapping[str, str],
            strict: bool = True) -> Profile:
    """Substitute parameters, check the result against the schema again, and build the Profile."""
    resolved, values = params.resolve(data, origins, given, strict)
    if values:
        _check(resolved, origins, file)
    try:
        return build(resolved, origins, file, chain, values)
    except ValueError as err:
        raise _semantic(err, origins, file) from None


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """The waivers of a file given with ``--waivers`` (a mapping under ``waivers:``, as in a profile).

    :raises ProfileError: naming FILE:LINE for anything that is not a waiver
    """
    file = display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(file, 0, "", f"cannot read: {getattr(err, 'strerror', None) or err}") from None
    data, origins = _located(text, file)
    if not isinstance(data, dict) or set(data) != {"waivers"}:
        raise ProfileError(file, 1, "", "expected a mapping with one key, waivers: {ITEM-ID: {reason, ticket, expires}}")
    errors = _errors(data["waivers"], schema()["properties"]["waivers"], ("waivers",))
    if errors:
        kpath, message = errors[0]
        raise ProfileError(file, origins.get(kpath, Origin(file, 0)).line, _dotted(kpath), message)
    try:
        return waivers_from(data, origins)
    except ValueError as err:
        raise _semantic(err, origins, file) from None


def load_own(path: Path) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """One profile file's own data and lines, without what it extends (checked like any profile)."""
    return _load_file(path)


def _load_file(path: Path) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    file = display(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ProfileError(file, 0, "", f"cannot read: {err.strerror or err}") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise ProfileError(file, 0, "", f"{len(raw)} bytes; a profile may have at most {MAX_PROFILE_BYTES >> 20} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProfileError(file, raw.count(b"\n", 0, err.start) + 1, "", f"not UTF-8 text (byte {raw[err.start]:#04x})") from None
    return _validated(text, file)


def _semantic(err: ValueError, origins: Origins, file: str) -> ProfileError:
    """The error at the file and line the key was written (a profile this one extends, often), not this file's."""
    kpath: KeyPath = getattr(err, "kpath", ())
    origin = origins.get(kpath, Origin(file, 0))
    return ProfileError(origin.file, origin.line, _dotted(kpath), str(err))


Resolved = tuple[dict[str, Any], dict[KeyPath, Origin], tuple[str, ...]]


def _resolve(path: Path, stack: tuple[Path, ...], done: dict[Path, Resolved]) -> Resolved:
    """One profile with its ``extends`` applied; ``done`` keeps each file resolved once per load."""
    if path.resolve() in done:
        return done[path.resolve()]
    data, origins = _load_file(path)
    merged: dict[str, Any] = {}
    merged_origins: dict[KeyPath, Origin] = {}
    chain: list[str] = []
    for i, ref in enumerate(data.get("extends", [])):
        origin = origins[("extends", i)]
        try:
            parent = find_profile(ref, path.parent)
        except FileNotFoundError as err:
            raise ProfileError(origin.file, origin.line, f"extends[{i}]", f"profile {ref[:80]!r} not found (looked for {err})") from None
        if parent.resolve() in stack:
            cycle = " -> ".join(display(p) for p in (*stack, parent.resolve()))
            raise ProfileError(origin.file, origin.line, f"extends[{i}]", f"cyclic extends: {cycle}")
        pdata, porigins, pchain = _resolve(parent, (*stack, parent.resolve()), done)
        # `match` says which machines one file is for: a host extending a board is not for every such board
        _merge(merged, merged_origins, {k: _copy(v) for k, v in pdata.items() if k != "match"}, porigins)
        chain += [c for c in pchain if c not in chain]
    own = {k: v for k, v in data.items() if k != "extends"}
    _merge(merged, merged_origins, own, {p: o for p, o in origins.items() if not p or p[0] != "extends"})
    merged_origins[()] = origins[()]
    chain.append(display(path))
    done[path.resolve()] = (merged, merged_origins, tuple(chain))
    return done[path.resolve()]


def load(ref: str | Path, given: Mapping[str, str] | None = None, template: bool = False) -> Profile:
    """Load a profile by path or name, resolve its ``extends`` and its parameters.

    :param given: parameter values from the command line (``--param name=value``)
    :param template: read a role whose parameters are not all set (lint, list, show): those stay ``${name}``
    :raises ProfileError: for every kind of bad input, formatted ``FILE:LINE: key: message``
    """
    try:
        path = ref if isinstance(ref, Path) else find_profile(ref)
    except FileNotFoundError as err:
        raise ProfileError(str(ref), 0, "", f"no such profile (looked for {err})") from None
    done: dict[Path, Resolved] = {}
    data, origins, chain = _resolve(path, (path.resolve(),), done)
    if "match" not in data:
        # the machines a profile is for, when it does not say: as the nearest profile it extends says (for the
        # warning a run starts with; choosing a profile looks at each file's own match only)
        for parent, porigins, pchain in sorted(done.values(), key=lambda r: -chain.index(r[2][-1])):
            if "match" in parent and pchain[-1] != chain[-1]:
                data = {**data, "match": parent["match"]}
                origins = {**origins, **{k: v for k, v in porigins.items() if k[:1] == ("match",)}}
                break
    return _finish(data, origins, display(path), chain, given or {}, strict=not template)


SHARED_DIRS = ("boards", "chipsets", "cpus", "roles")
_BUS_SLOT = re.compile(r"^(?:[0-9a-f]{4}:)?([0-9a-f]{2}):[0-9a-f]{2}\.[0-7]$")


def shared_warnings(path: Path) -> list[str]:
    """Warnings for a shared profile (boards/, chipsets/, cpus/, roles/): PCI locations by a bus number that can shift.

    A bus number behind a bridge is handed out in enumeration order and moves when a card is added;
    a shared profile names such a device by its path from the root port.
    """
    real = path.resolve()
    if not real.is_relative_to(PROFILES_DIR) or real.relative_to(PROFILES_DIR).parts[0] not in SHARED_DIRS:
        return []
    data, origins = _load_file(path)
    out = []
    for key, entry in ((data.get("pci") or {}).get("devices") or {}).items():
        where: list[tuple[KeyPath, str]] = [(("pci", "devices", key), key.partition("@")[2])]
        if isinstance(entry, dict) and isinstance(entry.get("behind"), str):
            where.append((("pci", "devices", key, "behind"), entry["behind"]))
        for kpath, location in where:
            m = _BUS_SLOT.match(location)
            if m and m.group(1) != "00":
                origin = origins.get(kpath, Origin(display(path), 0))
                out.append(f"{origin}: {_dotted(kpath)}: bus {m.group(1)} can shift between machines of this kind (a card in a slot "
                           f"renumbers the buses after it): name the device by its path from the root port, e.g. 00:1c.3/00.0 "
                           f"(hwcompat capture writes paths); a device on a root bus of its own keeps its number")
    return out


def load_all(refs: list[str], given: Mapping[str, str] | None = None) -> Profile:
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
        data, origins, pchain = _resolve(path, (path.resolve(),), {})
        _merge(merged, merged_origins, _copy(data), origins)
        chain += [c for c in pchain if c not in chain]
    merged["name"] = " + ".join(refs)
    return _finish(merged, merged_origins, "--extends", tuple(chain), given or {})


def load_text(text: str, file: str = "<profile>", given: Mapping[str, str] | None = None) -> Profile:
    """Load a profile from text (no ``extends``); used by self-tests and capture."""
    data, origins = _validated(text, file)
    if data.get("extends"):
        raise ProfileError(file, origins[("extends",)].line, "extends", "not allowed in a profile loaded from text")
    return _finish(data, origins, file, (file,), given or {})


class _PlainDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # libyaml's emitter: 3x faster
    """Writes a value as often as it appears: profiles refuse YAML aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


class _PurePlainDumper(yaml.SafeDumper):
    """The same in PyYAML's own emitter, which writes what libyaml's cannot encode (a lone surrogate) as an escape."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def dump_data(data: object) -> str:
    """YAML text for profile data, keys in the order given, without aliases."""
    options: dict[str, Any] = {"sort_keys": False, "default_flow_style": False, "allow_unicode": True, "width": 100}
    try:
        return yaml.dump(data, Dumper=_PlainDumper, **options)  # type: ignore[no-any-return]
    except UnicodeEncodeError:  # text that came from undecodable bytes (surrogateescape)
        return yaml.dump(data, Dumper=_PurePlainDumper, **options)  # type: ignore[no-any-return]


def dump(profile: Profile, extends: tuple[str, ...] = (), header: str = "") -> str:
    """YAML text for a profile; ``load_text(dump(p))`` gives back the same expectations."""
    data = profile.to_data()
    if extends:
        data = {"name": data.pop("name"), **({"description": data.pop("description")} if "description" in data else {}),
                "extends": list(extends), **data}
    return header + dump_data(data)
