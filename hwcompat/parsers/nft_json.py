r"""Parser for ``nft -j list ruleset`` (nftables >= 0.9.0): every table, with its chains, rules and sets.

Input: one JSON object with an ``nftables`` array (nft prints it on one line; ``jq`` pretty-prints
it, as in corpus/nft_json/). Tables come first, then each table's sets, maps and chains, then
the rules in chain order (nft 1.0.6, recorded from a namespace)::

    {"table": {"family": "inet", "name": "gw", "handle": 2}}
    {"set": {"family": "inet", "name": "lans", "table": "gw", "type": "ipv4_addr", "flags": ["interval"],
             "elem": [{"range": ["10.0.0.1", "10.0.0.9"]}, {"prefix": {"addr": "192.168.6.0", "len": 24}}]}}
    {"map": {"family": "ip", "name": "outs", "table": "docker", "type": "ifname", "map": "verdict",
             "elem": [["docker0", {"jump": {"target": "out__docker0"}}]]}}
    {"chain": {"family": "inet", "table": "gw", "name": "post", "handle": 4, "type": "nat", "hook": "postrouting",
               "prio": 100, "policy": "accept"}}
    {"rule": {"family": "inet", "table": "gw", "chain": "post", "handle": 7, "expr": [
        {"match": {"op": "!=", "left": {"meta": {"key": "oifname"}}, "right": {"set": ["lo", "docker0"]}}},
        {"masquerade": null}]}}

A rule iptables-nft made carries what nft cannot show as ``{"xt": {"type": "match"|"target", "name":
"MASQUERADE"}}`` (nft 1.0.6; no options). A statement nft has no JSON for is printed as its text,
a bare string (nft 1.0.6 does so for an anonymous chain, ``"jump {\n\t\t\ttcp sport 0 drop\n\t\t}"``,
and warns "stmt ops chain have no json callback" on stderr). What each statement means is
hwcompat.natwalk's business: here the statements are kept as nft printed them.

Records (:class:`NftTable`)::

    family, name: str
    chains: [NftChain]   # name, handle, type/hook/prio/policy (None for a regular chain), rules
      rules: [NftRule]   # handle, expr (the statements, JSON values as printed), comment
    sets: [NftSet]       # name, kind ("set" | "map"), type, map (a map's value type), flags, elem

Raises ParseError when the text is not JSON with an ``nftables`` array of objects, or when a
chain, set or rule names a table (or a rule a chain) listed nowhere before it, or a rule's
``expr`` is not a list of one-key objects or strings: the line is 1 for nft's one-line output, and
the text is the offending object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hwcompat.errors import ParseError

NAME = "nft_json"


@dataclass(frozen=True, slots=True)
class NftRule:
    """One rule: its statements in order."""

    handle: int | None
    expr: tuple[Any, ...]
    comment: str | None


@dataclass(frozen=True, slots=True)
class NftChain:
    """A chain; a base chain has type, hook, priority and policy."""

    name: str
    handle: int | None
    type: str | None
    hook: str | None
    prio: int | None
    policy: str | None
    rules: tuple[NftRule, ...]


@dataclass(frozen=True, slots=True)
class NftSet:
    """A named set or map, with the elements listed."""

    name: str
    kind: str
    type: str
    map: str | None
    flags: tuple[str, ...]
    elem: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class NftTable:
    """One table and what it holds."""

    family: str
    name: str
    chains: tuple[NftChain, ...]
    sets: tuple[NftSet, ...]


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def parse(text: str) -> list[NftTable]:
    """Parse nft's JSON ruleset into its tables."""
    lines = text.splitlines()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(NAME, err.lineno, lines[err.lineno - 1] if 0 < err.lineno <= len(lines) else "", f"not JSON: {err.msg}") from None
    except RecursionError:
        raise ParseError(NAME, 1, text[:80], "nested deeper than any nft output (Python's JSON reader gave up)") from None
    except ValueError as err:  # e.g. a number of more than 4,300 digits
        raise ParseError(NAME, 1, text[:80], f"not JSON Python can read: {err}") from None
    items = data.get("nftables") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ParseError(NAME, 1, text[:80], "expected an object with an 'nftables' array")
    tables: dict[tuple[str, str], tuple[dict[str, dict[str, Any]], list[NftSet]]] = {}
    rules: dict[tuple[str, str, str], list[NftRule]] = {}

    def bad(item: object, why: str) -> ParseError:
        return ParseError(NAME, 1, _text(item), why)

    def key_of(body: dict[str, Any]) -> tuple[str, str]:
        return str(body.get("family")), str(body.get("table"))

    def table_of(item: object, body: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[NftSet]]:
        key = key_of(body)
        if key not in tables:
            raise bad(item, f"names table {key[0]} {key[1]}, which is not listed before it")
        return tables[key]

    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            raise bad(item, "expected an object with one key (table, chain, rule, set, ...)")
        kind, body = next(iter(item.items()))
        if not isinstance(body, dict):
            continue  # metainfo and the like carry no rules
        if kind == "table":
            tables[(str(body.get("family")), str(body.get("name")))] = ({}, [])
        elif kind == "chain":
            chains, _ = table_of(item, body)
            if "hook" in body and _int(body.get("prio")) is None:  # nft prints every base chain's priority as a number
                raise bad(item, "a base chain without a numeric prio: where it runs at its hook cannot be told")
            chains[str(body.get("name"))] = body
            rules[(*key_of(body), str(body.get("name")))] = []
        elif kind in ("set", "map"):
            _, sets = table_of(item, body)
            flags = body.get("flags", [])
            sets.append(NftSet(str(body.get("name")), kind, _text(body.get("type")), _text(body["map"]) if "map" in body else None,
                               tuple(str(f) for f in (flags if isinstance(flags, list) else [flags])),
                               tuple(body.get("elem", ()))))
        elif kind == "rule":
            table_of(item, body)
            chain = rules.get((*key_of(body), str(body.get("chain"))))
            expr = body.get("expr")
            if chain is None:
                raise bad(item, f"a rule of chain {body.get('chain')}, which is not listed before it")
            if not isinstance(expr, list) or not all((isinstance(e, dict) and len(e) == 1) or isinstance(e, str) for e in expr):
                raise bad(item, "a rule's expr must be a list of statements (one-key objects, or nft's text where it has no JSON)")
            comment = body.get("comment")
            chain.append(NftRule(_int(body.get("handle")), tuple(expr), comment if isinstance(comment, str) else None))
    return [NftTable(family, name, tuple(
        NftChain(chain, _int(c.get("handle")), _str(c.get("type")), _str(c.get("hook")), _int(c.get("prio")), _str(c.get("policy")),
                 tuple(rules[(family, name, chain)]))
        for chain, c in chains.items()), tuple(sets)) for (family, name), (chains, sets) in tables.items()]
