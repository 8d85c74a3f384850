"""Parser for ``nft -j list ruleset`` (nftables >= 0.9), NAT rules only.

Input: ``{"nftables": [{"metainfo": ...}, {"table": ...}, {"chain": {...,"hook":"postrouting"}},
{"rule": {"family":"ip","table":"nat","chain":"POSTROUTING","expr":[...]}}]}``. A rule made by
iptables-nft carries its target as an xt compat expression; a native rule has its own verb::

    [{"match":{"op":"==","left":{"meta":{"key":"oifname"}},"right":"tun-hma"}},{"counter":{...}},
     {"xt":{"type":"target","name":"MASQUERADE"}}]
    [{"match":{"op":"!=","left":{"meta":{"key":"oifname"}},"right":"eth0"}},{"masquerade":null}]

Records (:class:`NftNatRule`, one per rule that masquerades or source-NATs)::

    family, table, chain: str
    hook: str | None         # from the chain ("postrouting")
    out_interface: str | None
    out_negated: bool
    source: str | None       # "192.168.6.0/24" from a saddr match
    action: str              # "masquerade" | "snat" | "xt MASQUERADE" | "xt SNAT"

Raises ParseError when the text is not JSON with an ``nftables`` array.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hwcompat.errors import ParseError

NAME = "nft_json"


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []



@dataclass(frozen=True, slots=True)
class NftNatRule:
    """A masquerade or SNAT rule."""

    family: str
    table: str
    chain: str
    hook: str | None
    out_interface: str | None
    out_negated: bool
    source: str | None
    action: str


def _prefix(right: Any) -> str | None:
    if isinstance(right, str):
        return right
    if isinstance(right, dict) and isinstance(right.get("prefix"), dict):
        p = right["prefix"]
        return f"{p.get('addr')}/{p.get('len')}"
    return None


def parse(text: str) -> list[NftNatRule]:
    """Parse nft's JSON ruleset into NAT rules."""
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(NAME, err.lineno, text.splitlines()[err.lineno - 1] if text.splitlines() else "", f"not JSON: {err.msg}") from None
    items = data.get("nftables") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ParseError(NAME, 1, text[:80], "expected an object with an 'nftables' array")
    hooks: dict[tuple[str, str, str], str] = {}
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        chain = item.get("chain")
        if isinstance(chain, dict) and isinstance(chain.get("hook"), str):
            hooks[(str(chain.get("family")), str(chain.get("table")), str(chain.get("name")))] = chain["hook"]
        rule = item.get("rule")
        if not isinstance(rule, dict) or not isinstance(rule.get("expr"), list):
            continue
        oif, negated, source, action = None, False, None, None
        for expr in rule["expr"]:
            if not isinstance(expr, dict):
                continue
            match = expr.get("match")
            if isinstance(match, dict):
                left = _dict(match.get("left"))
                meta = _dict(left.get("meta"))
                payload = _dict(left.get("payload"))
                if meta.get("key") == "oifname" and isinstance(match.get("right"), str):
                    oif, negated = match["right"], match.get("op") == "!="
                elif payload.get("field") == "saddr":
                    source = _prefix(match.get("right"))
            if "masquerade" in expr:
                action = "masquerade"
            elif "snat" in expr:
                action = "snat"
            elif isinstance(expr.get("xt"), dict) and expr["xt"].get("type") == "target":
                action = f"xt {expr['xt'].get('name')}"
        if action:
            key = (str(rule.get("family")), str(rule.get("table")), str(rule.get("chain")))
            out.append(NftNatRule(*key, hooks.get(key), oif, negated, source, action))
    return out
