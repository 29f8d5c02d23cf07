"""Checks of the shop services' signals: one traced page view, and every custom metric."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from kansoku import conventions as cv
from kansoku.verify.checks import CheckResult, Targets, jaeger_trace, prometheus_query, timed
from kansoku.verify.poll import poll_until


def metric_query(metric: cv.Metric) -> str:
    """A query that has a result once ``metric`` has arrived from its service."""
    name = metric.prometheus_name
    if metric.instrument == "histogram":
        name += "_count"
    return f'{name}{{{cv.LABEL_SERVICE}="{metric.service}"}}'


def _services_in(trace: dict[str, Any]) -> set[str]:
    processes = trace.get("processes", {})
    return {processes[s["processID"]]["serviceName"] for s in trace["spans"]}


def traced_page_view(targets: Targets, frontend_url: str, timeout: float) -> str:
    """GET the frontend's product list inside a trace of our own; find it in Jaeger."""
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    resp = httpx.get(
        f"{frontend_url}/", timeout=10.0, headers={"traceparent": f"00-{trace_id}-{parent}-01"}
    )
    resp.raise_for_status()
    wanted = {cv.SHOP_FRONTEND, cv.SHOP_BACKEND}

    def complete() -> dict[str, Any] | None:
        trace = jaeger_trace(targets.jaeger_url, trace_id)
        return trace if trace and wanted <= _services_in(trace) else None

    trace = poll_until(
        complete, what=f"trace {trace_id} spanning {sorted(wanted)}", timeout=timeout
    )
    return f"trace {trace_id}: {len(trace['spans'])} spans across {sorted(_services_in(trace))}"


def metric_arrived(targets: Targets, metric: cv.Metric, timeout: float) -> str:
    query = metric_query(metric)
    result = poll_until(
        lambda: prometheus_query(targets.prometheus_url, query) or None,
        what=f"{query} in Prometheus",
        timeout=timeout,
    )
    return f"{len(result)} series"


def _metric_check(targets: Targets, metric: cv.Metric, timeout: float) -> CheckResult:
    return timed(
        f"{metric.service} {metric.otel_name} in Prometheus",
        lambda: metric_arrived(targets, metric, timeout),
    )


def run_shop_checks(
    targets: Targets, frontend_url: str, *, timeout: float = 60.0
) -> list[CheckResult]:
    """One traced page view through the frontend, then every custom metric of the shop."""
    results = [
        timed(
            "shop page view traced frontend -> backend",
            lambda: traced_page_view(targets, frontend_url, timeout),
        )
    ]
    results += [_metric_check(targets, metric, timeout) for metric in cv.METRICS]
    return results
