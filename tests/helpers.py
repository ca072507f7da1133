"""Small helpers shared by the tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T], timeout: float = 10.0, interval: float = 0.02, what: str = ""
) -> T:
    """Call `check` until it returns a truthy value or `timeout` passes; return that value.

    `check` may also raise AssertionError while the condition does not hold yet; `what` names
    the condition in the failure.
    """
    deadline = time.monotonic() + timeout
    last_error: AssertionError | None = None
    while True:
        try:
            value = check()
            if value:
                return value
        except AssertionError as exc:
            last_error = exc
        if time.monotonic() > deadline:
            waited_for = f" ({what})" if what else ""
            raise AssertionError(
                f"condition not met within {timeout} s{waited_for}"
            ) from last_error
        time.sleep(interval)


C = TypeVar("C")


def part(engine: Any, kind: type[C]) -> C:
    """The engine's component of type `kind` (tests reach inside; pages never do)."""
    found = next((c for c in engine.components if isinstance(c, kind)), None)
    assert found is not None, f"the engine has no {kind.__name__}"
    return found
