"""Waivers: known exceptions a host profile (or ``--waivers FILE``) lists, by item id.

A failing item with a waiver that has not expired is reported as waived (pytest: xfailed), never
as passed. After its date it fails again, saying the waiver expired. A waiver whose item no longer
fails is stale: the report says so, so it can be removed. A waiver naming no item of the profile
is a profile error (exit 4), naming its file and line.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from hwcompat.errors import ProfileError
from hwcompat.plan import items
from hwcompat.profile.model import Profile, Waiver
from hwcompat.results import CheckResult


@dataclass
class Waivers:
    """The waivers of one run, what became of each, and the date they are judged on."""

    waivers: dict[str, Waiver]
    today: datetime.date = field(default_factory=datetime.date.today)
    status: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, profile: Profile, extra: tuple[Waiver, ...] = (), today: datetime.date | None = None) -> Waivers:
        """The profile's waivers and those of a ``--waivers`` file (which win for the same item).

        :raises ProfileError: for a waiver whose item the profile does not have
        """
        known = {kind.item_id(exp) for kind, exp in items(profile)}
        chosen = {w.item: w for w in (*profile.waivers, *extra)}
        for waiver in chosen.values():
            if waiver.item not in known:
                near = sorted(i for i in known if i.split("[")[0] == waiver.item.split("[")[0])[:5]
                hint = f"; items of that kind: {', '.join(near)}" if near else ""
                raise ProfileError(waiver.origin.file, waiver.origin.line, f"waivers.{waiver.item}", f"no item of profile {profile.name} has this id{hint}")
        return cls(chosen, today or datetime.date.today())

    def apply(self, item: str, result: CheckResult) -> CheckResult:
        """The result with its waiver applied: waived, failing because the waiver expired, or as it was."""
        waiver = self.waivers.get(item)
        if waiver is None:
            return result
        ticket = f" ({waiver.ticket})" if waiver.ticket else ""
        if result.outcome != "failed":
            self.status[item] = "stale"
            return result
        if waiver.expires < self.today:
            self.status[item] = "expired"
            return replace(result, message=f"waiver expired on {waiver.expires}{ticket}: {waiver.reason}; {result.message}",
                           waiver=f"expired {waiver.expires} ({waiver.origin})")
        self.status[item] = "applied"
        return replace(result, outcome="waived", message=f"waived until {waiver.expires}{ticket}: {waiver.reason}; {result.message}",
                       waiver=f"until {waiver.expires}{ticket}: {waiver.reason} ({waiver.origin})")

    def summary(self) -> list[dict[str, str]]:
        """Every waiver with what became of it (applied, expired, stale, or not run)."""
        return [{"item": w.item, "status": self.status.get(w.item, "not run"), "reason": w.reason, "ticket": w.ticket,
                 "expires": w.expires.isoformat(), "profile": str(w.origin)} for w in self.waivers.values()]
