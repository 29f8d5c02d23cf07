"""What Jaeger stored in OpenSearch, read from OpenSearch itself (tests and the bench count
spans there: one request, exact, whatever Jaeger's query limits are)."""

from __future__ import annotations

from typing import Any

import httpx

from kansoku import conventions as cv

SPANS = f"{cv.JAEGER_SPAN_INDEX}*"
_PAGE = 2_000  # traces per page of the composite aggregation


def _search(url: str, body: dict[str, Any]) -> dict[str, Any]:
    # Generous: a node busy indexing a backlog answers aggregations slowly.
    resp = httpx.post(f"{url}/{SPANS}/_search", json=body, timeout=120.0)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def service_documents(url: str, service: str) -> int:
    """Span documents of ``service``: one cheap count (copies included)."""
    query = {"term": {"process.serviceName": service}}
    result = _search(url, {"size": 0, "track_total_hits": True, "query": query})
    return int(result["hits"]["total"]["value"])


def service_spans(url: str, service: str) -> tuple[int, int]:
    """Span documents of ``service`` and distinct spans among them, a span being its trace id
    and span id (a bulk request that OpenSearch took but whose answer was lost is written
    twice when retried; span ids alone may repeat across traces)."""
    query = {"term": {"process.serviceName": service}}
    total = _search(url, {"size": 0, "track_total_hits": True, "query": query})
    documents = int(total["hits"]["total"]["value"])
    distinct, after = 0, None
    while True:
        composite: dict[str, Any] = {
            "size": _PAGE,
            "sources": [{"trace": {"terms": {"field": "traceID"}}}],
        }
        if after is not None:
            composite["after"] = after
        body = {
            "size": 0,
            "query": query,
            "aggs": {
                "traces": {
                    "composite": composite,
                    "aggs": {"spans": {"cardinality": {"field": "spanID"}}},
                }
            },
        }
        traces = _search(url, body)["aggregations"]["traces"]
        distinct += sum(int(b["spans"]["value"]) for b in traces["buckets"])
        after = traces.get("after_key")
        if not traces["buckets"] or after is None:
            return documents, distinct


def trace_spans(url: str, trace_id: str) -> int:
    """Span documents of one trace."""
    body = {"size": 0, "track_total_hits": True, "query": {"term": {"traceID": trace_id}}}
    return int(_search(url, body)["hits"]["total"]["value"])


def health(url: str) -> dict[str, Any]:
    resp = httpx.get(f"{url}/_cluster/health", timeout=10.0)
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    return body
