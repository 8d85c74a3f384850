"""Fact sources: the one door to a machine (live) or to a recording of one (snapshot)."""

from __future__ import annotations

from hwcompat.sources.base import CommandOutput, FactSource, FileStat, UdevDevice

__all__ = ["CommandOutput", "FactSource", "FileStat", "UdevDevice", "open_source"]


def open_source(snapshot: str | None) -> FactSource:
    """A SnapshotSource for a snapshot path, or the LiveSource when None.

    :raises SnapshotError: when the snapshot is missing, truncated, malformed or hostile
    """
    if snapshot:
        from hwcompat.sources.snapshot import SnapshotSource  # noqa: PLC0415

        return SnapshotSource(snapshot)
    from hwcompat.sources.live import LiveSource  # noqa: PLC0415

    return LiveSource()
