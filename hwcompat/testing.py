"""What the acceptance tests in tests_*/ call: ``assert_check(result)``."""

from __future__ import annotations

import pytest

from hwcompat.results import CheckResult

#: results of the running test, read by the plugin for the HTML and JSON reports
CURRENT: list[CheckResult] = []


def assert_check(result: CheckResult) -> None:
    """Turn a CheckResult into the pytest outcome: pass, fail (no traceback) or skip."""
    __tracebackhide__ = True
    CURRENT.append(result)
    if result.outcome == "failed":
        pytest.fail(result.text(), pytrace=False)
    if result.outcome == "skipped":
        pytest.skip(result.text())
