from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "snapshots" / "x10sae-xen-dom0"
MODERN = REPO / "selftests" / "data" / "snapshots" / "x10sae-modern"


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed snapshot, for mutations."""
    dest = tmp_path / "snap"
    shutil.copytree(SEED, dest, symlinks=True)
    return dest
