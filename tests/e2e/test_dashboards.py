"""Every dashboard panel shows data on the live local stack.

With the shop services under load (and a share of shop-backend requests failing on purpose,
so the error panels have something to show), every PromQL query of every panel, with its
variables expanded to the values Prometheus has, must return series, every Jaeger query
must return traces or dependencies, and every LogsQL query (panels, and "logs of this trace"
links with the ids of their panel's traces) must return records from VictoriaLogs. Panels
that only have data in a cluster are left out, each with its reason. Every metric name a
dashboard uses must be one the live Prometheus knows.
"""

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
from kansoku.verify.checks import prometheus_query
from kansoku.verify.poll import PollTimeoutError, poll_until

pytestmark = pytest.mark.e2e
# Services export every 5 s, spanmetrics flush every 15 s, rates need a few scrapes.
DATA_TIMEOUT = 240
ERROR_RATE = 0.2
IDS = [b.uid for b in catalog.BOARDS]


@pytest.fixture(scope="module")
def with_errors(stack: StackState) -> Iterator[None]:
    """A share of shop-backend requests fails (503) while this module runs."""
    url = f"{stack.url('shop-backend')}{cv.ADMIN_FAULTS_PATH}"
    headers = {"Authorization": f"Bearer {os.environ[cv.ENV_ADMIN_TOKEN]}"}
    rules = {"rules": {"*": {"error_rate": ERROR_RATE}}}
    httpx.put(url, json=rules, headers=headers, timeout=10).raise_for_status()
    try:
        yield
    finally:
        httpx.put(url, json={"rules": {}}, headers=headers, timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def settled(stack: StackState, with_errors: None) -> dict[str, list[live.Empty]]:
    """Waits (bounded) until every dashboard's queries return data; what stayed empty, by uid."""
    root = locations.project_root()
    last: dict[str, list[live.Empty]] = {}

    urls = live.LiveUrls(
        stack.url("prometheus"), stack.url("jaeger-query"), stack.url("victorialogs")
    )

    def all_have_data() -> bool | None:
        for board in catalog.BOARDS:
            last[board.uid] = live.empty_queries(urls, board, catalog.load(root, board))
        return True if not any(last.values()) else None

    with contextlib.suppress(PollTimeoutError):  # each test below names what stayed empty
        poll_until(
            all_have_data, what="data in every dashboard panel", timeout=DATA_TIMEOUT, interval=10
        )
    return last


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_every_panel_query_returns_data(
    board: catalog.Board, settled: dict[str, list[live.Empty]]
) -> None:
    empty = settled[board.uid]
    assert not empty, "queries that returned nothing:\n" + "\n".join(str(e) for e in empty)


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_every_metric_name_is_one_the_stack_emits(
    board: catalog.Board, stack: StackState, settled: dict[str, list[live.Empty]]
) -> None:
    data = catalog.load(locations.project_root(), board)
    unknown = live.unknown_metrics(stack.url("prometheus"), board, data)
    assert not unknown, f"{board.uid}: metric names Prometheus has never seen: {unknown}"


def test_the_error_panels_saw_the_injected_errors(
    stack: StackState, settled: dict[str, list[live.Empty]]
) -> None:
    """The error queries return the injected failures, not only the zeros they fall back to."""
    query = (
        f'sum(rate({cv.SPANMETRICS_CALLS}{{{cv.LABEL_SPAN_SERVICE}="{cv.SHOP_BACKEND}", '
        f'{cv.LABEL_SPAN_STATUS}="{cv.SPAN_STATUS_ERROR}"}}[5m])) > 0'
    )
    assert prometheus_query(stack.url("prometheus"), query), query
