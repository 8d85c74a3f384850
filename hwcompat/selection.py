"""Which profile a machine is for: ``match:`` on DMI fields, and the choice ``hwcompat run`` makes without --profile.

A profile's own ``match`` (never one it extends) names the machines it is for. Without
``--profile``, every shipped host and board profile with a ``match`` that holds on this machine is
a candidate; hosts are more specific than boards, and among equals the one that matches more
fields wins. No candidate, or two equally specific ones, is a usage error listing them (exit 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hwcompat.errors import CannotCheck, ProfileError
from hwcompat.facts.cache import FactCache
from hwcompat.matchers import show
from hwcompat.profile import loader
from hwcompat.profile.model import Profile

RANK = {"hosts": 2, "boards": 1}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a profile's match holds here (None: it cannot be told), and the sentence that says so."""

    holds: bool | None
    text: str


def machine(facts: FactCache) -> str:
    """What this machine says it is: board vendor and name, product, BIOS version."""
    try:
        dmi = facts.dmi
    except CannotCheck as err:
        return f"no DMI ({err.reason})"
    fields = [(name, dmi.get(name)) for name in ("board_vendor", "board_name", "product_name", "bios_version")]
    said = [f"{name} {value!r}" for name, value in fields if isinstance(value, str)]
    unknown = next((value.reason for _, value in fields if not isinstance(value, str)), "")
    return ", ".join(said) or f"no DMI: {unknown}"


def verdict(profile: Profile, facts: FactCache) -> Verdict:
    """Whether ``profile``'s own match holds on this machine."""
    if not profile.match:
        return Verdict(None, "")
    wanted = ", ".join(f"{e.field} {e.matcher.describe()}" for e in profile.match)
    said_by = profile.match[0].origin.file
    if said_by != profile.file:
        wanted += f" (as {said_by} says)"
    try:
        dmi = facts.dmi
        found = {e.field: dmi.get(e.field) for e in profile.match}
    except CannotCheck as err:
        return Verdict(None, f"profile {profile.file} is for machines with {wanted}; whether this is one cannot be told: {err.reason}")
    unknown = [f"{k}: {v.reason}" for k, v in found.items() if not isinstance(v, str)]
    if unknown:
        return Verdict(None, f"profile {profile.file} is for machines with {wanted}; whether this is one cannot be told ({'; '.join(unknown)})")
    if all(e.matcher.matches(str(found[e.field])) for e in profile.match):
        return Verdict(True, f"profile {profile.file} is for machines with {wanted}: this is one")
    said = ", ".join(f"{k} {show(v)}" for k, v in found.items())  # type: ignore[arg-type]
    return Verdict(False, f"profile {profile.file} is for machines with {wanted}; this machine reports {said}")


def candidates() -> list[Path]:
    """Shipped host and board profiles that declare a match of their own."""
    out = []
    for folder in RANK:
        for path in sorted((loader.PROFILES_DIR / folder).glob("*.yaml")):
            data, _ = loader.load_own(path)
            if data.get("match"):
                out.append(path)
    return out


def select(facts: FactCache) -> tuple[Path, list[str]]:
    """The most specific shipped profile whose match holds here (its file), and the lines that say why.

    :raises ProfileError: when none holds, or two hold equally (naming each with its file:line)
    """
    fits: list[tuple[tuple[int, int], Profile, Path]] = []
    looked = []
    for path in candidates():
        profile = loader.load(path, template=True)
        result = verdict(profile, facts)
        looked.append(f"  {profile.file}:{profile.match[0].origin.line}: {', '.join(f'{e.field} {e.matcher.describe()}' for e in profile.match)}")
        if result.holds:
            fits.append(((RANK[path.parent.name], len(profile.match)), profile, path))
    here = machine(facts)
    if not fits:
        raise ProfileError("--profile", 0, "", f"no shipped profile is for this machine ({here}); give one with --profile P. "
                                               "Profiles with a match:\n" + "\n".join(looked))
    fits.sort(key=lambda f: f[0], reverse=True)
    best = [(p, path) for rank, p, path in fits if rank == fits[0][0]]
    if len(best) > 1:
        tied = "\n".join(f"  {p.file}:{p.match[0].origin.line}" for p, _ in best)
        raise ProfileError("--profile", 0, "", f"{len(best)} profiles fit this machine ({here}) equally; give one with --profile P:\n{tied}")
    chosen, path = best[0]
    lines = [f"profile chosen: {chosen.file}, whose match holds on this machine ({here})"]
    others = [p.file for _, p, _ in fits[1:]]
    if others:
        lines.append(f"also fitting, less specific: {', '.join(others)}")
    return path, lines
