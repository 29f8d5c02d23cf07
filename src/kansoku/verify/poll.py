"""Wait for a condition, and say what was waited for and the last error when it never came."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class PollTimeoutError(Exception):
    """The condition did not hold within the timeout; carries the last error seen."""

    def __init__(self, what: str, timeout: float, last: str) -> None:
        self.what = what
        self.timeout = timeout
        self.last = last
        super().__init__(f"gave up after {timeout:.0f}s waiting for {what}; last: {last}")


def poll_until(
    check: Callable[[], T | None], *, what: str, timeout: float = 30.0, interval: float = 0.5
) -> T:
    """Call ``check`` until it returns something other than ``None`` (or stops raising).

    ``check`` may raise to signal "not yet"; its message becomes ``last`` in the timeout error.
    """
    deadline = time.monotonic() + timeout
    last = "no attempt finished"
    while True:
        try:
            result = check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"; it is reported
            last = f"{type(exc).__name__}: {exc}"
        else:
            if result is not None:
                return result
            last = "condition not met yet"
        if time.monotonic() >= deadline:
            raise PollTimeoutError(what, timeout, last)
        time.sleep(interval)
