"""Profile parameters: declared in ``params:``, used as ``${name}``, set by a host or ``--param``.

``params:`` declares names (with a default, or ``null`` for "must be set"), values anywhere else
say ``${name}``, and a host profile (a later ``params:``) or the command line
(``--param name=value``) sets them.

A value that is exactly ``${name}`` takes the parameter's value as it is (a number stays a number);
inside a longer string it is spliced in as text. Keys never take parameters: a key names the thing
an item is about, and a host refines it by that name. Parameters may use other parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwcompat.errors import ProfileError
from hwcompat.matchers import Origin

PARAM = re.compile(r"\$\{([^}]*)\}")
NAME = re.compile(r"[a-z_][a-z0-9_]*")
#: top-level keys whose values are never substituted
LITERAL = ("name", "description", "extends", "params")

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ParamValue:
    """A parameter's value and where it was set (a profile file:line, or ``--param``)."""

    name: str
    value: object
    where: str


def from_command_line(given: list[str]) -> dict[str, str]:
    """``--param`` values: ``["vlan_if=eth0.6"]`` -> ``{"vlan_if": "eth0.6"}``.

    :raises ProfileError: naming ``--param`` for anything but NAME=VALUE with a value (an empty one
        would be judged as the value '', e.g. an interface named '')
    """
    out = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ProfileError("--param", 0, item, "write it as NAME=VALUE")
        if not value:
            raise ProfileError("--param", 0, item, "an empty value is no value: give one (NAME=VALUE), or leave the parameter out")
        out[name] = value
    return out


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def resolve(data: Mapping[str, Any], origins: Mapping[KeyPath, Origin], given: Mapping[str, str],
            strict: bool = True) -> tuple[dict[str, Any], tuple[ParamValue, ...]]:
    """Substitute every ``${name}``; return the new data and each parameter's value with where it came from.

    :param given: ``--param`` values from the command line; they win over every profile
    :param strict: False to read a role as a template (lint, list, show): a parameter without a
        value stays ``${name}`` instead of being an error
    :raises ProfileError: naming FILE:LINE (or ``--param``) for an undeclared or unset parameter, a
        cycle among parameters, a parameter in a key, or a ``${`` that is not ``${name}``
    """
    declared: dict[str, tuple[object, str]] = {}
    for name, value in (data.get("params") or {}).items():
        declared[name] = (value, str(origins.get(("params", name), Origin("profile", 0))))
    for name, value in given.items():
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ProfileError("--param", 0, name, f"the profile declares no parameter {name!r} (it declares: {known})")
        declared[name] = (value, "--param")
    values: dict[str, object] = {}
    unset: dict[str, tuple[Origin, KeyPath]] = {}

    def value_of(name: str, path: KeyPath, seen: tuple[str, ...]) -> object:
        where = origins.get(path, Origin("profile", 0))
        if name not in declared:
            raise ProfileError(where.file, where.line, _dotted(path),
                               f"parameter {name!r} is not declared (params: {{{name}: ...}} in this profile or one it extends)")
        if name in seen:
            loop = " -> ".join((*seen[seen.index(name):], name))
            first = declared[seen[0]][1]
            file, _, line = first.rpartition(":")
            raise ProfileError(file or first, int(line) if line.isdigit() else 0, f"params.{seen[0]}", f"parameters use each other in a circle: {loop}")
        if name not in values:
            raw = declared[name][0]
            if raw is None and not strict:
                return f"${{{name}}}"
            if raw is None:
                unset.setdefault(name, (where, path))  # every unset parameter is named at once, at the end
                return f"${{{name}}}"
            values[name] = substitute(raw, ("params", name), (*seen, name))
        return values[name]

    def substitute(value: object, path: KeyPath, seen: tuple[str, ...] = ()) -> object:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if isinstance(key, str) and "${" in key:
                    where = origins.get((*path, key), Origin("profile", 0))
                    raise ProfileError(where.file, where.line, _dotted((*path, key)),
                                       "a parameter cannot stand in a key (a key names what an item is about); use it in a value, "
                                       "e.g. name: ${...}")
                out[key] = substitute(item, (*path, key), seen)
            return out
        if isinstance(value, list):
            return [substitute(item, (*path, i), seen) for i, item in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value
        names = PARAM.findall(value)
        if PARAM.sub("", value).count("${") or any(not NAME.fullmatch(n) for n in names):
            where = origins.get(path, Origin("profile", 0))
            raise ProfileError(where.file, where.line, _dotted(path), f"{value[:80]!r}: write a parameter as ${{name}} (lower case, digits, _)")
        whole = PARAM.fullmatch(value)
        if whole:
            return value_of(whole.group(1), path, seen)
        return PARAM.sub(lambda m: str(value_of(m.group(1), path, seen)), value)

    out = {k: (v if k in LITERAL else substitute(v, (k,))) for k, v in data.items()}
    for name in declared:
        if declared[name][0] is not None:
            value_of(name, ("params", name), ())
    if unset:
        raise _unset_error(unset)
    shown = tuple(ParamValue(name, values.get(name), declared[name][1]) for name in declared)
    return out, shown


def _unset_error(unset: Mapping[str, tuple[Origin, KeyPath]]) -> ProfileError:
    """One error naming every parameter that is used but has no value, at the first place one is used."""
    names = list(unset)
    where, path = unset[names[0]]
    listed = ", ".join(repr(n) for n in names)
    what = f"parameter {listed} has no value: set it" if len(names) == 1 else f"parameters {listed} have no value: set them"
    settings = ", ".join(f"{n}: VALUE" for n in names)
    flags = " ".join(f"--param {n}=VALUE" for n in names)
    return ProfileError(where.file, where.line, _dotted(path), f"{what} in a host profile (params: {{{settings}}}) or with {flags}")
