"""Jaeger on a real OpenSearch: a shop trace stored and found, retention, a store outage under
load, and a three-node cluster that loses a node under load.

Counts are read in OpenSearch itself (documents and distinct span ids of the run's service),
never inferred from timing. Outages last ``KANSOKU_FAULT_OUTAGE_SECONDS`` (20 s by default;
``make test-faults`` sets 60 s), as in test_faults.py.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_stack import down, kansoku, up_detached
from opensearch_support import days_ago_ns, index_day, send_span

from kansoku import conventions as cv
from kansoku.bench import stored
from kansoku.bench.harness import BenchStack, bench_stack
from kansoku.bench.otlpload import LoadConfig, LoadProcess
from kansoku.traces import retention, store
from kansoku.verify.checks import jaeger_trace
from kansoku.verify.poll import poll_until

pytestmark = [pytest.mark.e2e]

OUTAGE = float(os.environ.get("KANSOKU_FAULT_OUTAGE_SECONDS", "20"))
SPANS_PER_SECOND = 200
SETTLE_TIMEOUT = 300.0
# The collector's exporter reconnects with gRPC's backoff (up to 120 s) after Jaeger stalled;
# a count is final once it has not moved for longer than that (as in test_faults.py).
SETTLE_QUIET = 130.0


def _quiet(_line: str) -> None:
    return


def _run_id() -> str:
    return f"kansoku-os-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def os_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchStack]:
    """Collector, Prometheus, VictoriaLogs and Jaeger on one local OpenSearch node."""
    data_dir = tmp_path_factory.mktemp("opensearch-stack")
    with bench_stack(jaeger_storage="opensearch", data_dir=data_dir, report=_quiet) as stack:
        yield stack


def _load(endpoint: str, run: str, duration: float) -> LoadProcess:
    return LoadProcess(
        LoadConfig(
            endpoint=endpoint,
            service=run,
            duration=duration,
            spans_per_second=SPANS_PER_SECOND,
            points_per_second=0,
            spans_per_request=100,
            spans_per_trace=10,
            concurrency=1,
        )
    )


def _await_stored(url: str, run: str, amount: int) -> None:
    """The load's spans are arriving in OpenSearch: the outage starts mid-stream."""
    poll_until(
        lambda: store.service_spans(url, run)[0] >= amount or None,
        what=f"{amount} spans of {run} in OpenSearch",
        timeout=180,
    )


def _settled(url: str, run: str, sent: int) -> tuple[int, int]:
    """(documents, distinct span ids) of ``run`` once the count stopped moving."""
    stored.settle(
        lambda: store.service_spans(url, run)[1],
        sent,
        timeout=SETTLE_TIMEOUT,
        quiet=SETTLE_QUIET,
    )
    return store.service_spans(url, run)


def test_old_daily_indices_go_and_todays_stays(os_stack: BenchStack) -> None:
    url, otlp = os_stack.url("opensearch"), os_stack.url("jaeger-otlp-http")
    run = _run_id()
    send_span(otlp, run, days_ago_ns(10))
    send_span(otlp, run, days_ago_ns(0))
    old, today = f"{cv.JAEGER_SPAN_INDEX}{index_day(10)}", f"{cv.JAEGER_SPAN_INDEX}{index_day(0)}"
    # An index exists as soon as a bulk request creates it, before its document is written:
    # wait for both spans to be searchable, not only for their indices.
    poll_until(
        lambda: (
            (
                {old, today} <= set(retention.jaeger_indices(url))
                and store.service_spans(url, run)[0] == 2
            )
            or None
        ),
        what=f"the two spans of {run} searchable, in {old} and {today}",
        timeout=120,
    )
    # The module `kansoku up` runs hourly (and the Kubernetes CronJob), with 7 days.
    removed = retention.clean(url, 7)
    assert old in removed
    assert today not in removed
    left = retention.jaeger_indices(url)
    assert old not in left
    assert today in left
    assert store.service_spans(url, run)[0] == 1  # today's span is still there


def test_no_span_is_lost_while_opensearch_is_down(os_stack: BenchStack) -> None:
    url, run = os_stack.url("opensearch"), _run_id()
    with _load(os_stack.otlp_http, run, OUTAGE + 15) as load:
        _await_stored(url, run, 2 * SPANS_PER_SECOND)
        os_stack.supervisor.stop_component(cv.OPENSEARCH)
        time.sleep(OUTAGE)  # the outage itself: its length is the point, not a wait for a state
        os_stack.supervisor.start_component(cv.OPENSEARCH)
        result = load.result()
    assert result.spans.refused == result.spans.failed == 0
    assert result.spans.sent > SPANS_PER_SECOND * OUTAGE
    documents, distinct = _settled(url, run, result.spans.sent)
    print(
        f"opensearch outage {OUTAGE:.0f}s: {result.spans.sent} spans sent, {distinct} stored "
        f"({documents - distinct} written twice)"
    )
    assert distinct == result.spans.sent, f"{result.spans.sent - distinct} spans lost"


def test_shop_traces_are_stored_in_opensearch_and_found_through_jaeger_and_the_console(
    tmp_path: Path,
) -> None:
    env = {cv.ENV_LOADGEN_USERS: "1", cv.ENV_LOADGEN_SPAWN_RATE: "1"}
    state = up_detached(tmp_path, "--jaeger-storage", "opensearch", env=env)
    try:
        status = json.loads(kansoku("status", "--data-dir", str(tmp_path), "--json").stdout)
        assert status["components"][cv.OPENSEARCH]["status"] == "ready"
        jaeger, opensearch = state.url("jaeger-query"), state.url("opensearch")
        trace_id = poll_until(
            lambda: _a_trace(jaeger, cv.SHOP_FRONTEND),
            what="a shop-frontend trace in Jaeger",
            timeout=180,
        )
        trace = poll_until(
            lambda: jaeger_trace(jaeger, trace_id), what=f"trace {trace_id}", timeout=60
        )
        services = {p["serviceName"] for p in trace["processes"].values()}
        assert {cv.SHOP_FRONTEND, cv.SHOP_BACKEND} <= services
        assert store.trace_spans(opensearch, trace_id) >= len(trace["spans"]) > 1
        console = state.url(cv.CONSOLE)
        proxied = httpx.get(f"{console}/api/jaeger/api/traces/{trace_id}", timeout=30).json()
        # The trace may still grow between the two reads (a late span of the shop's request):
        # the console's copy holds every span Jaeger gave before, and nothing of another trace.
        spans = proxied["data"][0]["spans"]
        assert {s["spanID"] for s in trace["spans"]} <= {s["spanID"] for s in spans}
        assert {s["traceID"] for s in spans} == {trace_id}
        landing = httpx.get(console + cv.CONSOLE_STATUS_PATH, timeout=30).json()
        assert {c["name"]: c["status"] for c in landing["components"]}[cv.OPENSEARCH] == "ready"
        verify = kansoku("verify", "--data-dir", str(tmp_path), timeout=300)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert "opensearch cluster green" in verify.stdout
    finally:
        down(tmp_path)


def _a_trace(jaeger: str, service: str) -> str | None:
    resp = httpx.get(f"{jaeger}/api/traces", params={"service": service, "limit": "5"}, timeout=30)
    if resp.status_code != 200:
        return None
    traces = [t for t in resp.json().get("data") or [] if len(t["processes"]) > 1]
    return traces[0]["traceID"] if traces else None
