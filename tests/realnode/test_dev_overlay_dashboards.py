"""Every dashboard query returns data from the in-cluster stores on the real node: the check
that runs against local mode (tests/e2e/test_dashboards.py, kansoku.dashboards.live), with
the shop's load and a share of shop-backend's requests failing on purpose (so the error and
error-budget panels have something to show), against the in-cluster Prometheus, Jaeger and
VictoriaLogs through loopback forwarders. Grafana itself is not run (AGPL, no image); its
datasources' queries are.

The panels this cluster cannot fill are named with the reason, never skipped silently: those
reading what the node agent's ``k8s_cluster`` receiver writes, which our collector
distribution lacks (``overview.k8s_cluster_panels``). The kubeletstats panels (pods' and
nodes' CPU and memory) are expected to have data: the node agent runs with ``kubeletstats``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping

import pytest
from stack_harness import DATA_TIMEOUT, STACK, Stack, set_faults

from kansoku import conventions as cv
from kansoku import locations
from kansoku.dashboards import catalog, live, overview, queries
from kansoku.verify.checks import prometheus_query
from kansoku.verify.poll import PollTimeoutError, poll_until

pytestmark = [pytest.mark.realnode, pytest.mark.timeout(1800)]
ERROR_RATE = 0.2  # as the local check: errors to show, most requests still served
IDS = [b.uid for b in catalog.BOARDS]
NO_K8S_CLUSTER = (
    "reads what the node agent's k8s_cluster receiver writes; our collector distribution "
    "lacks that receiver (not served at contrib v0.160.0)"
)
# Panel title -> why it has no data on this cluster, per dashboard uid.
EXEMPT: dict[str, Mapping[str, str]] = {
    cv.DASHBOARD_OVERVIEW_UID: dict.fromkeys(overview.k8s_cluster_panels(), NO_K8S_CLUSTER),
}


@pytest.fixture(scope="module")
def urls(stack: Stack) -> live.LiveUrls:
    return live.LiveUrls(
        stack.url(STACK, "prometheus", 9090),
        stack.url(STACK, "jaeger", 16686),
        stack.url(STACK, "victorialogs", 9428),
    )


@pytest.fixture(scope="module")
def with_errors(stack: Stack) -> Iterator[None]:
    """A share of shop-backend's requests fails (503) while this module runs."""
    set_faults(stack, {"*": {"error_rate": ERROR_RATE}})
    try:
        yield
    finally:
        assert set_faults(stack, {}) == {}, "the fault is cleared"


@pytest.fixture(scope="module")
def settled(urls: live.LiveUrls, with_errors: None) -> dict[str, list[live.Empty]]:
    """Waits (bounded) until every dashboard's queries return data; what stayed empty, by uid."""
    root = locations.project_root()
    last: dict[str, list[live.Empty]] = {}
    started = time.monotonic()

    def all_have_data() -> bool | None:
        for board in catalog.BOARDS:
            data = catalog.load(root, board)
            last[board.uid] = live.empty_queries(urls, board, data, EXEMPT.get(board.uid, {}))
        return True if not any(last.values()) else None

    with contextlib.suppress(PollTimeoutError):  # each test below names what stayed empty
        poll_until(
            all_have_data, what="data in every dashboard panel", timeout=DATA_TIMEOUT, interval=10
        )
    print(f"\ndashboards settled after {time.monotonic() - started:.1f}s")
    return last


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_every_panel_query_returns_data_from_the_in_cluster_stores(
    board: catalog.Board, settled: dict[str, list[live.Empty]]
) -> None:
    data = catalog.load(locations.project_root(), board)
    exempt = EXEMPT.get(board.uid, {})
    counts = (
        len(queries.prometheus_targets(data)),
        len(queries.jaeger_targets(data)),
        len(queries.victorialogs_targets(data)),
    )
    print(
        f"\n{board.uid}: {counts[0]} PromQL, {counts[1]} Jaeger, {counts[2]} LogsQL queries; "
        f"{len(exempt)} panels without data here"
        + "".join(f"\n  - {title}: {why}" for title, why in exempt.items())
    )
    empty = settled[board.uid]
    assert not empty, "queries that returned nothing:\n" + "\n".join(str(e) for e in empty)


def test_the_panels_named_as_without_data_have_none(
    urls: live.LiveUrls, settled: dict[str, list[live.Empty]]
) -> None:
    """The exemptions are not stale: each named panel really has no data on this cluster."""
    root = locations.project_root()
    for board in catalog.BOARDS:
        exempt = EXEMPT.get(board.uid, {})
        if exempt:
            empty = live.empty_queries(urls, board, catalog.load(root, board), exempt={})
            assert set(exempt) <= {e.panel for e in empty}, (board.uid, sorted(exempt))


def test_the_error_panels_saw_the_injected_errors(
    urls: live.LiveUrls, settled: dict[str, list[live.Empty]]
) -> None:
    """The error queries return the injected failures, not only the zeros they fall back to."""
    query = (
        f'sum(rate({cv.SPANMETRICS_CALLS}{{{cv.LABEL_SPAN_SERVICE}="{cv.SHOP_BACKEND}", '
        f'{cv.LABEL_SPAN_STATUS}="{cv.SPAN_STATUS_ERROR}"}}[5m])) > 0'
    )
    assert prometheus_query(urls.prometheus, query), query
