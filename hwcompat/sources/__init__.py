"""Fact sources: the one door to a machine (live) or to a recording of one (snapshot)."""

from __future__ import annotations

from hwcompat.sources.base import CommandOutput, FactSource, FileStat, UdevDevice

__all__ = ["CommandOutput", "FactSource", "FileStat", "UdevDevice"]
