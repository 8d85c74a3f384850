"""hwcompat: check a Linux machine, or a recorded snapshot of one, against a profile."""

from pathlib import Path

__version__ = "0.1.0"


def suite_root() -> Path:
    """Where pytest.ini, conftest.py, the acceptance tests (tests_*/) and the shared profiles (profiles/) are.

    An installed package carries them in ``hwcompat/suite/`` (package data); a checkout, or an
    editable install of one, has them at the top of the repository.
    """
    package = Path(__file__).resolve().parent
    bundled = package / "suite"
    return bundled if (bundled / "pytest.ini").is_file() else package.parent
