"""How much of what was sent is really stored: counted in Prometheus, Jaeger and VictoriaLogs.

Points are counted by Prometheus itself (``count_over_time`` over the run's own ``job``);
spans by Jaeger's query API for the run's own service (exact, for modest volumes) or by
Jaeger's storage exporter counter (for capacity volumes), with a spot check of whole traces;
log records by VictoriaLogs itself (a LogsQL count over the run's own service).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import httpx

from kansoku import conventions as cv
from kansoku.bench import payloads
from kansoku.bench.measure import MetricsText
from kansoku.verify import logsql
from kansoku.verify.checks import jaeger_trace, prometheus_query

JAEGER_STORAGE_EXPORTER = "jaeger_storage_exporter"


def prometheus_samples(prometheus_url: str, job: str, since_millis: int) -> int:
    """Samples of the bench gauge with ``job`` stored since ``since_millis`` (epoch ms)."""
    window = max(1, math.ceil(time.time() - since_millis / 1000) + 5)
    query = f'sum(count_over_time({payloads.METRIC_PROMETHEUS}{{job="{job}"}}[{window}s]))'
    result = prometheus_query(prometheus_url, query)
    return int(float(result[0]["value"][1])) if result else 0


def prometheus_series(prometheus_url: str, selector: str) -> int:
    """Series currently matching ``selector`` (e.g. ``{job="x"}``)."""
    result = prometheus_query(prometheus_url, f"count({selector})")
    return int(float(result[0]["value"][1])) if result else 0


def victorialogs_records(victorialogs_url: str, service: str) -> int:
    """Log records stored for ``service`` (the run's own), counted by VictoriaLogs."""
    return logsql.count(victorialogs_url, logsql.field_equals(cv.LOG_FIELD_SERVICE, service))


def jaeger_exported_spans(jaeger_metrics_url: str) -> float:
    """Spans Jaeger's pipeline has written to its storage, from its own metrics."""
    text = MetricsText.fetch(jaeger_metrics_url)
    return text.total("otelcol_exporter_sent_spans_total", exporter=JAEGER_STORAGE_EXPORTER)


def jaeger_service_spans(jaeger_url: str, service: str, limit: int = 20_000) -> int:
    """Every span stored for ``service`` (via ``/api/traces``; fine up to some 10^5 spans)."""
    resp = httpx.get(
        f"{jaeger_url}/api/traces",
        params={"service": service, "limit": str(limit), "lookback": "2h"},
        timeout=60.0,
    )
    if resp.status_code == 404:
        return 0
    resp.raise_for_status()
    return sum(len(t.get("spans") or []) for t in resp.json().get("data") or [])


def jaeger_service_span_keys(
    jaeger_url: str, service: str, operations: Sequence[str] = (), limit: int = 20_000
) -> list[tuple[str, str]]:
    """(trace id, span id) of every span stored for ``service``, copies included; with
    ``operations``, one query for the traces holding each (e.g. ``payloads.ROOT_SPAN_NAMES``),
    so that no one answer carries every span of a large run."""
    keys = []
    for operation in operations or ("",):
        params = {"service": service, "limit": str(limit), "lookback": "2h"}
        if operation:
            params["operation"] = operation
        resp = httpx.get(f"{jaeger_url}/api/traces", params=params, timeout=60.0)
        if resp.status_code == 404:
            continue
        resp.raise_for_status()
        for trace in resp.json().get("data") or []:
            keys += [(s["traceID"], s["spanID"]) for s in trace.get("spans") or []]
    return keys


def complete_traces(jaeger_url: str, trace_ids: list[str], spans_per_trace: int) -> int:
    """How many of ``trace_ids`` Jaeger returns with all ``spans_per_trace`` spans."""
    complete = 0
    for trace_id in trace_ids:
        trace = jaeger_trace(jaeger_url, trace_id)
        if trace is not None and len(trace["spans"]) == spans_per_trace:
            complete += 1
    return complete


def safe_count(count: Callable[[], float], fallback: float) -> float:
    """``count()``, or ``fallback`` when the store did not answer or answered nonsense."""
    try:
        return count()
    except (httpx.HTTPError, RuntimeError, KeyError, IndexError, ValueError):
        return fallback


def settle(
    count: Callable[[], float],
    target: float,
    *,
    timeout: float,
    quiet: float = 6.0,
    interval: float = 1.0,
    progress: Callable[[str], None] | None = None,
    what: str = "stored",
) -> float:
    """Poll ``count`` until it reaches ``target`` or stops changing for ``quiet`` seconds.

    Returns the last count; the caller compares it with what was sent. Bounded by ``timeout``.
    """
    deadline = time.monotonic() + timeout
    last, changed_at = -1.0, time.monotonic()
    while True:
        value = safe_count(count, last)
        now = time.monotonic()
        if value != last:
            last, changed_at = value, now
            if progress:
                progress(f"  {what}: {value:,.0f} of {target:,.0f}")
        if value >= target or now - changed_at >= quiet or now >= deadline:
            return max(last, 0.0)
        time.sleep(interval)
