"""The shop's signals arrive where docs/telemetry.md says, on a real local stack.

One checkout is made through the frontend with a ``traceparent`` chosen here, so its trace id
is known; then Jaeger, Prometheus and VictoriaLogs are asked for what it left.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from typing import Any

import httpx
import pytest

from kansoku import conventions
from kansoku.stack.state import StackState
from kansoku.verify import logsql
from kansoku.verify.checks import LOG_VISIBLE_SECONDS
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.e2e

RAW_ID = re.compile(r"/\d+(/|$)|[0-9a-f]{32}")
WAIT = 120.0  # metric export interval + remote write + Jaeger ingestion, on a busy machine


class Checkout:
    def __init__(self, trace_id: str, root_span_id: str, order_id: str) -> None:
        self.trace_id = trace_id
        self.root_span_id = root_span_id
        self.order_id = order_id


@pytest.fixture(scope="module")
def checkout(stack: StackState) -> Checkout:
    """One purchase through the frontend, under a trace id this test picked."""
    return _checkout(stack)


def _checkout(stack: StackState) -> Checkout:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    with httpx.Client(
        base_url=stack.url("shop-frontend"), timeout=30, follow_redirects=True
    ) as client:
        added = client.post("/cart/items", data={"product_id": "2", "quantity": "1"})
        assert added.status_code == 200, added.text
        response = client.post(
            "/checkout",
            data={"email": "e2e@example.com"},
            headers={"traceparent": f"00-{trace_id}-{span_id}-01"},
        )
    assert response.status_code == 201, response.text
    order_id = response.text.split('data-order-id="', 1)[1].split('"', 1)[0]
    return Checkout(trace_id, span_id, order_id)


def jaeger_trace(stack: StackState, trace_id: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.url('jaeger-query')}/api/traces/{trace_id}", timeout=10)
    response.raise_for_status()
    [trace] = response.json()["data"]
    return dict(trace)


def prometheus(stack: StackState, query: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{stack.url('prometheus')}/api/v1/query", params={"query": query}, timeout=10
    )
    response.raise_for_status()
    return list(response.json()["data"]["result"])


def _spans_by_service(trace: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    services = {pid: p["serviceName"] for pid, p in trace["processes"].items()}
    return [(services[s["processID"]], s) for s in trace["spans"]]


def _parent(span: dict[str, Any]) -> str | None:
    refs = [r["spanID"] for r in span.get("references", []) if r["refType"] == "CHILD_OF"]
    return refs[0] if refs else None


def _complete_trace(stack: StackState, trace_id: str) -> dict[str, Any] | None:
    trace = jaeger_trace(stack, trace_id)
    names = {(svc, s["operationName"]) for svc, s in _spans_by_service(trace)}
    wanted = {
        (conventions.SHOP_FRONTEND, "POST /checkout"),
        (conventions.SHOP_BACKEND, "POST /api/orders"),
        (conventions.SHOP_BACKEND, conventions.SPAN_PRICING),
    }
    return trace if wanted <= names else None


def test_a_checkout_is_one_trace_from_frontend_through_backend_to_the_database(
    stack: StackState, checkout: Checkout
) -> None:
    trace = poll_until(
        lambda: _complete_trace(stack, checkout.trace_id),
        what=f"trace {checkout.trace_id} with frontend, backend and pricing spans in Jaeger",
        timeout=WAIT,
    )
    spans = _spans_by_service(trace)
    by_id = {s["spanID"]: (svc, s) for svc, s in spans}
    [page] = [s for svc, s in spans if s["operationName"] == "POST /checkout"]
    [api] = [s for svc, s in spans if s["operationName"] == "POST /api/orders"]
    assert _parent(page) == checkout.root_span_id
    client_svc, client = by_id[_parent(api) or ""]
    assert client_svc == conventions.SHOP_FRONTEND
    assert _parent(client) == page["spanID"]
    db = [
        s
        for svc, s in spans
        if svc == conventions.SHOP_BACKEND
        and any(t["key"] in ("db.system", "db.system.name") for t in s.get("tags", []))
    ]
    assert db, "no database spans in the trace"
    for statement in db:
        node = statement
        while node["spanID"] != api["spanID"]:
            parent = _parent(node)
            assert parent in by_id, f"{statement['operationName']} is not below POST /api/orders"
            node = by_id[parent][1]


@pytest.mark.parametrize("metric", conventions.METRICS, ids=lambda m: m.otel_name)
def test_each_custom_metric_is_in_prometheus_under_its_documented_name(
    stack: StackState, checkout: Checkout, metric: conventions.Metric
) -> None:
    series = metric.prometheus_name + ("_bucket" if metric.instrument == "histogram" else "")
    query = f'{series}{{{conventions.LABEL_SERVICE}="{metric.service}"}}'
    result = poll_until(
        lambda: prometheus(stack, query) or None, what=f"series {query}", timeout=WAIT
    )
    labels = result[0]["metric"]
    assert labels[conventions.LABEL_METHOD]
    if metric.instrument != "updowncounter":  # route templates only, never concrete ids
        routes = {r["metric"][conventions.LABEL_ROUTE] for r in result}
        assert not [r for r in routes if RAW_ID.search(r)], routes


def _exemplar_trace_ids(stack: StackState) -> list[str] | None:
    response = httpx.get(
        f"{stack.url('prometheus')}/api/v1/query_exemplars",
        params={
            "query": f'http_server_duration_seconds_bucket{{job="{conventions.SHOP_BACKEND}"}}',
            "start": "0",
            "end": "9999999999",
        },
        timeout=10,
    )
    response.raise_for_status()
    ids = [
        e["labels"]["trace_id"]
        for group in response.json()["data"]
        for e in group["exemplars"]
        if "trace_id" in e["labels"]
    ]
    return ids or None


def test_a_backend_latency_exemplar_links_to_a_trace_jaeger_has(
    stack: StackState, checkout: Checkout
) -> None:
    ids = poll_until(
        lambda: _exemplar_trace_ids(stack),
        what="exemplars with a trace_id on http_server_duration_seconds_bucket",
        timeout=WAIT,
    )
    found = poll_until(
        lambda: next((i for i in reversed(ids) if _has_trace(stack, i)), None),
        what=f"one of the exemplar trace ids {ids[-3:]} in Jaeger",
        timeout=WAIT,
    )
    assert jaeger_trace(stack, found)["spans"]


def _has_trace(stack: StackState, trace_id: str) -> bool:
    response = httpx.get(f"{stack.url('jaeger-query')}/api/traces/{trace_id}", timeout=10)
    return response.status_code == 200 and bool(response.json().get("data"))


def _logs_of_trace(stack: StackState, trace_id: str) -> list[dict[str, Any]] | None:
    return logsql.query(stack.url("victorialogs"), logsql.by_trace_id(trace_id), limit=50) or None


def test_the_checkout_left_a_log_record_found_by_its_trace_id(stack: StackState) -> None:
    fresh = _checkout(stack)  # its own, so the time to find its record is measured from now
    answered = time.monotonic()
    records = poll_until(
        lambda: _logs_of_trace(stack, fresh.trace_id),
        what=f"a log record with trace id {fresh.trace_id} in VictoriaLogs",
        timeout=WAIT,
        interval=0.2,
    )
    took = time.monotonic() - answered
    [placed] = [r for r in records if "order placed" in r[conventions.LOG_FIELD_MESSAGE]]
    assert placed[conventions.LOG_FIELD_SERVICE] == conventions.SHOP_BACKEND
    assert placed[conventions.LOG_FIELD_STREAM] == f'{{service.name="{conventions.SHOP_BACKEND}"}}'
    assert len(placed[conventions.LOG_FIELD_SPAN_ID]) == 16
    assert placed[conventions.LOG_FIELD_SEVERITY] == "INFO"
    assert placed["shop.order_id"] == fresh.order_id
    print(f"checkout log queryable {took:.2f}s after the answer")
    assert took <= LOG_VISIBLE_SECONDS, f"found only after {took:.1f}s"


def _counts(stack: StackState, route: str) -> dict[str, float]:
    query = (
        f'sum by ({conventions.LABEL_STATUS}) (http_server_requests_total{{job="shop-backend",'
        f' {conventions.LABEL_ROUTE}="{route}"}})'
    )
    return {
        r["metric"].get(conventions.LABEL_STATUS, ""): float(r["value"][1])
        for r in prometheus(stack, query)
    }


def test_half_the_requests_failing_shows_as_half_in_the_error_rate(stack: StackState) -> None:
    route = "/api/products/{product_id}"
    backend = stack.url("shop-backend")
    auth = {"Authorization": f"Bearer {os.environ[conventions.ENV_ADMIN_TOKEN]}"}
    before = _counts(stack, route)
    rules = {"rules": {route: {"error_rate": 0.5, "latency_ms": 0}}}
    put = httpx.put(f"{backend}{conventions.ADMIN_FAULTS_PATH}", json=rules, headers=auth)
    assert put.status_code == 200, put.text
    try:
        with httpx.Client(base_url=backend, timeout=10) as client:
            codes = [client.get(f"/api/products/{1 + i % 12}").status_code for i in range(400)]
    finally:
        cleared = httpx.delete(f"{backend}{conventions.ADMIN_FAULTS_PATH}", headers=auth)
        assert cleared.status_code == 200
    assert 120 <= codes.count(503) <= 280

    def delta() -> tuple[float, float] | None:
        now = _counts(stack, route)
        total = sum(now.values()) - sum(before.values())
        errors = sum(v for k, v in now.items() if k.startswith("5")) - sum(
            v for k, v in before.items() if k.startswith("5")
        )
        return (errors, total) if total >= len(codes) else None

    errors, total = poll_until(delta, what="400 more requests counted in Prometheus", timeout=WAIT)
    assert 0.3 <= errors / total <= 0.7
