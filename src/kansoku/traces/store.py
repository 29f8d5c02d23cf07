"""What Jaeger stored in OpenSearch, read from OpenSearch itself (tests and the bench count
spans there: one request, exact, whatever Jaeger's query limits are)."""

from __future__ import annotations

from typing import Any

import httpx

from kansoku import conventions as cv

SPANS = f"{cv.JAEGER_SPAN_INDEX}*"
# Exact below this many distinct values (OpenSearch's cardinality aggregation maximum).
_PRECISION = 40_000


def _search(url: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = httpx.post(f"{url}/{SPANS}/_search", json=body, timeout=30.0)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def service_spans(url: str, service: str) -> tuple[int, int]:
    """Span documents of ``service`` and distinct span ids among them (a bulk request that
    OpenSearch took but whose answer was lost is written twice when retried)."""
    body = {
        "size": 0,
        "track_total_hits": True,
        "query": {"term": {"process.serviceName": service}},
        "aggs": {"ids": {"cardinality": {"field": "spanID", "precision_threshold": _PRECISION}}},
    }
    result = _search(url, body)
    return int(result["hits"]["total"]["value"]), int(result["aggregations"]["ids"]["value"])


def trace_spans(url: str, trace_id: str) -> int:
    """Span documents of one trace."""
    body = {"size": 0, "track_total_hits": True, "query": {"term": {"traceID": trace_id}}}
    return int(_search(url, body)["hits"]["total"]["value"])


def health(url: str) -> dict[str, Any]:
    resp = httpx.get(f"{url}/_cluster/health", timeout=10.0)
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    return body
