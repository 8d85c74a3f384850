"""Guest-side tmem facts: the tmem module's parameters, self-ballooning, frontswap counters."""

from __future__ import annotations

from dataclasses import dataclass

from hwcompat.errors import CannotCheck
from hwcompat.facts import Unknown, read
from hwcompat.sources.base import FactSource

PARAMS = "/sys/module/tmem/parameters"
SELFBALLOON = "/sys/devices/system/xen_memory/xen_memory0/selfballoon"
FRONTSWAP_DEBUG = "/sys/kernel/debug/frontswap"


@dataclass(frozen=True, slots=True)
class TmemFacts:
    """``params`` is None when the tmem module is not loaded (no parameters directory)."""

    params: dict[str, str] | Unknown | None
    selfballooning: str | Unknown | None
    frontswap_stores: int | Unknown
    origin: str


def collect(source: FactSource) -> TmemFacts:
    """Read /sys/module/tmem/parameters, the selfballoon group and debugfs frontswap counters."""
    params: dict[str, str] | Unknown | None
    try:
        names = source.list_dir(PARAMS)
    except CannotCheck as err:
        params = Unknown(err.reason)
    else:
        params = None
        if names is not None:
            params = {}
            for name in names:
                value = read(source, f"{PARAMS}/{name}")
                if isinstance(value, Unknown):
                    params = value
                    break
                params[name] = value.strip()
    ballooning: str | Unknown | None = read(source, f"{SELFBALLOON}/selfballooning")
    if isinstance(ballooning, Unknown) and ballooning.missing:
        ballooning = None
    elif isinstance(ballooning, str):
        ballooning = ballooning.strip()
    stores = read(source, f"{FRONTSWAP_DEBUG}/succ_stores")
    frontswap: int | Unknown = int(stores.strip()) if isinstance(stores, str) and stores.strip().isdigit() else (
        stores if isinstance(stores, Unknown) else Unknown(f"{FRONTSWAP_DEBUG}/succ_stores is not a number"))
    return TmemFacts(params, ballooning, frontswap, source.where(PARAMS))
