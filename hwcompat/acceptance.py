"""The acceptance API: what the tests in tests_*/ call, ``assert_check(result)``.

A test hands its check's result here. The result is finished with the item's subject and profile
line, kept on the pytest item for the reports, and turned into the pytest outcome: pass, fail
(without a traceback) or skip.
"""

from __future__ import annotations

from contextvars import ContextVar

import pytest

from hwcompat.plan import ItemKind
from hwcompat.profile.model import Expectation
from hwcompat.results import CheckResult
from hwcompat.waivers import Waivers

#: the item kind and expectation of a collected test item (set by the plugin at collection)
BINDING = pytest.StashKey[tuple[ItemKind, Expectation]]()
#: the finished result of a test item (read by the reports)
RESULT = pytest.StashKey[CheckResult]()
#: the run's waivers (set by the plugin)
WAIVERS = pytest.StashKey[Waivers]()
#: the item whose test body is running (set by the plugin around each call)
CURRENT: ContextVar[pytest.Item | None] = ContextVar("hwcompat_current_item", default=None)


def assert_check(result: CheckResult) -> None:
    """Turn a CheckResult into the pytest outcome: pass, fail (no traceback), skip, or xfail when waived."""
    __tracebackhide__ = True
    item = CURRENT.get()
    if item is not None and BINDING in item.stash:
        result = finish(item, result)
    outcome(result)


def finish(item: pytest.Item, result: CheckResult) -> CheckResult:
    """The item's result with its subject, profile line and waiver; kept on the item for the reports."""
    kind, exp = item.stash[BINDING]
    result = kind.finish(exp, result)
    waivers = item.config.stash.get(WAIVERS, None)
    if waivers is not None:
        result = waivers.apply(kind.item_id(exp), result)
    item.stash[RESULT] = result
    return result


def outcome(result: CheckResult) -> None:
    """Raise the pytest outcome of a result (nothing for a pass)."""
    __tracebackhide__ = True
    if result.outcome == "failed":
        pytest.fail(result.text(), pytrace=False)
    if result.outcome == "skipped":
        pytest.skip(result.text())
    if result.outcome == "waived":
        pytest.xfail(result.text())
