"""What the console's browser tests share: the shop's errors behind the error panels, and a
bounded wait until every dashboard query has data in the backends themselves."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import httpx
import pytest

from kansoku import conventions as cv
from kansoku import locations
from kansoku.dashboards import catalog, live
from kansoku.stack.state import StackState
from kansoku.verify.poll import PollTimeoutError, poll_until

DATA_TIMEOUT = 240  # as the dashboard query test: exports every 5 s, spanmetrics every 15 s
ERROR_RATE = 0.2


def set_faults(stack: StackState, rules: dict[str, object]) -> None:
    """Replace shop-backend's fault rules (its admin endpoint)."""
    url = f"{stack.url('shop-backend')}{cv.ADMIN_FAULTS_PATH}"
    headers = {"Authorization": f"Bearer {os.environ[cv.ENV_ADMIN_TOKEN]}"}
    httpx.put(url, json={"rules": rules}, headers=headers, timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def with_errors(stack: StackState) -> Iterator[None]:
    """A share of shop-backend requests fails (503), so the error panels have data."""
    set_faults(stack, {"*": {"error_rate": ERROR_RATE}})
    try:
        yield
    finally:
        set_faults(stack, {})


@pytest.fixture(scope="module")
def settled(stack: StackState, with_errors: None) -> None:
    """Waits (bounded) until every dashboard query has data in the backends themselves, so a
    panel found empty in the browser is the console's fault, not a slow pipeline's."""
    root = locations.project_root()
    urls = live.LiveUrls(
        stack.url("prometheus"), stack.url("jaeger-query"), stack.url("victorialogs")
    )

    def all_have_data() -> bool | None:
        empty = [
            e
            for board in catalog.BOARDS
            for e in live.empty_queries(urls, board, catalog.load(root, board))
        ]
        if empty:
            raise AssertionError(f"{len(empty)} queries still empty, e.g. {empty[0]}")
        return True

    with contextlib.suppress(PollTimeoutError):  # the browser tests name what stayed empty
        poll_until(all_have_data, what="data behind every panel", timeout=DATA_TIMEOUT, interval=10)
