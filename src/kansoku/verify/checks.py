"""The end-to-end checks shared by ``kansoku verify`` and the e2e tests.

Each check returns a ``CheckResult``; none raises for a failed check, so a run reports every
problem at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from kansoku import conventions as cv
from kansoku.verify import logsql, probes
from kansoku.verify.poll import PollTimeoutError, poll_until


@dataclass(frozen=True)
class Targets:
    """Where the stack answers; local mode fills these from ``state.json``."""

    prometheus_url: str
    jaeger_url: str
    otlp_endpoint: str
    collector_health_url: str | None = None
    collector_metrics_url: str | None = None
    victorialogs_url: str | None = None
    opensearch_url: str | None = None  # Jaeger's store with --jaeger-storage opensearch


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0
    skipped: bool = False


def timed(name: str, check: Callable[[], str]) -> CheckResult:
    """Run ``check``; its return value is the detail, any exception a failure."""
    started = time.monotonic()
    try:
        detail = check()
    except Exception as exc:  # noqa: BLE001 - a failed check is reported, not raised
        return CheckResult(name, False, str(exc), time.monotonic() - started)
    return CheckResult(name, True, detail, time.monotonic() - started)


def _get_json(url: str, **params: str) -> Any:
    resp = httpx.get(url, params=params, timeout=5.0)
    resp.raise_for_status()
    return resp.json()


def prometheus_query(prometheus_url: str, query: str) -> list[dict[str, Any]]:
    """Instant query; the ``result`` list of a successful vector answer."""
    body = _get_json(f"{prometheus_url}/api/v1/query", query=query)
    if body.get("status") != "success":
        raise RuntimeError(f"query {query!r} failed: {body}")
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def jaeger_trace(jaeger_url: str, trace_id: str) -> dict[str, Any] | None:
    """The trace in Jaeger's query API (``/api/traces/{id}``), or ``None`` while absent."""
    resp = httpx.get(f"{jaeger_url}/api/traces/{trace_id}", timeout=5.0)
    if resp.status_code == 404:
        return None
    resp.raise_for_status()
    data = resp.json().get("data") or []
    return data[0] if data and data[0].get("spans") else None


def health_checks(targets: Targets) -> list[CheckResult]:
    urls = {
        "prometheus ready": f"{targets.prometheus_url}/-/ready",
        "jaeger query answers": f"{targets.jaeger_url}/api/services",
    }
    if targets.collector_health_url:
        urls["collector healthy"] = targets.collector_health_url
    if targets.victorialogs_url:
        urls["victorialogs healthy"] = targets.victorialogs_url + cv.VICTORIALOGS_HEALTH_PATH

    def probe(url: str) -> Callable[[], str]:
        def run() -> str:
            resp = httpx.get(url, timeout=5.0)
            resp.raise_for_status()
            return f"{url} -> {resp.status_code}"

        return run

    checks = [timed(name, probe(url)) for name, url in urls.items()]
    if targets.opensearch_url:
        url = targets.opensearch_url
        checks.append(timed("opensearch cluster green", lambda: opensearch_health(url)))
    return checks


def opensearch_health(opensearch_url: str) -> str:
    """The cluster's health; anything but green (a shard unassigned) is a failure."""
    body = _get_json(f"{opensearch_url}/_cluster/health")
    if body.get("status") != "green":
        raise RuntimeError(f"cluster {body.get('cluster_name')} is {body.get('status')}: {body}")
    return f"{body['cluster_name']}: green, {body['number_of_nodes']} node(s)"


def find_trace(targets: Targets, probe: probes.Probe, timeout: float) -> str:
    trace = poll_until(
        lambda: jaeger_trace(targets.jaeger_url, probe.trace_id),
        what=f"trace {probe.trace_id} in Jaeger",
        timeout=timeout,
    )
    spans = trace["spans"]
    tagged = [
        s
        for s in spans
        if any(
            t.get("key") == probes.PROBE_ATTRIBUTE and t.get("value") == probe.verify_id
            for t in s.get("tags", [])
        )
    ]
    if not tagged:
        raise RuntimeError(f"trace {probe.trace_id} has no span tagged {probe.verify_id}")
    return f"trace {probe.trace_id} with {len(spans)} span(s)"


def find_metric(targets: Targets, probe: probes.Probe, timeout: float) -> str:
    query = f'{probes.PROBE_METRIC_PROMETHEUS}{{{probes.PROBE_LABEL}="{probe.verify_id}"}}'

    def present() -> list[dict[str, Any]] | None:
        return prometheus_query(targets.prometheus_url, query) or None

    result = poll_until(present, what=f"{query} in Prometheus", timeout=timeout)
    return f"{query} = {result[0]['value'][1]}"


# A log record emitted inside a request is queryable by its trace id within this (the goal).
LOG_VISIBLE_SECONDS = 5.0


def find_log(targets: Targets, probe: probes.Probe, timeout: float) -> str:
    """The probe's log record in VictoriaLogs, found by its trace id (LogsQL)."""
    url = targets.victorialogs_url
    if url is None:
        raise RuntimeError("no VictoriaLogs URL given")
    record = poll_until(
        lambda: logsql.query(url, logsql.by_trace_id(probe.trace_id), limit=10) or None,
        what=f"a log record with trace id {probe.trace_id} in VictoriaLogs",
        timeout=timeout,
        interval=0.2,
    )[0]
    took = time.monotonic() - probe.sent_at
    if took > LOG_VISIBLE_SECONDS:
        raise RuntimeError(
            f"log record of trace {probe.trace_id} queryable only after {took:.1f}s "
            f"(goal: {LOG_VISIBLE_SECONDS:.0f}s)"
        )
    if probe.verify_id not in str(record.get(cv.LOG_FIELD_MESSAGE, "")):
        raise RuntimeError(f"the log record of trace {probe.trace_id} is not the probe's: {record}")
    if record.get(cv.LOG_FIELD_SPAN_ID) != probe.span_id:
        raise RuntimeError(
            f"log record has span id {record.get(cv.LOG_FIELD_SPAN_ID)!r}, expected {probe.span_id}"
        )
    return f"log record of trace {probe.trace_id} queryable after {took:.1f}s"


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")


def scrape_totals(metrics_url: str) -> dict[str, float]:
    """Sum each metric family of a Prometheus text endpoint over its label sets."""
    text = httpx.get(metrics_url, timeout=5.0).text
    totals: dict[str, float] = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            totals[match.group(1)] = totals.get(match.group(1), 0.0) + float(match.group(3))
    return totals


COLLECTOR_SIGNALS = {
    "spans": "spans",
    "metric points": "metric_points",
    "log records": "log_records",
}


def collector_counters(metrics_url: str) -> str:
    """Accepted > 0 and nothing refused or failed, per signal, from the collector's metrics."""
    totals = scrape_totals(metrics_url)

    def total(name: str) -> float:
        # The collector's own endpoint omits the _total suffix; a scrape through a
        # translating path adds it. Either spelling counts.
        return totals.get(name, 0.0) + totals.get(f"{name}_total", 0.0)

    problems, summary = [], []
    for label, suffix in COLLECTOR_SIGNALS.items():
        accepted = total(f"otelcol_receiver_accepted_{suffix}")
        refused = total(f"otelcol_receiver_refused_{suffix}")
        failed = total(f"otelcol_exporter_send_failed_{suffix}")
        summary.append(f"{label}: {accepted:.0f} accepted")
        if accepted <= 0:
            problems.append(f"no {label} accepted")
        if refused > 0:
            problems.append(f"{refused:.0f} {label} refused")
        if failed > 0:
            problems.append(f"{failed:.0f} {label} failed to send")
    if problems:
        raise RuntimeError("; ".join(problems))
    return ", ".join(summary)


def send_probe(targets: Targets) -> tuple[CheckResult, probes.Probe | None]:
    started = time.monotonic()
    try:
        probe = probes.send(targets.otlp_endpoint)
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        return CheckResult("probe sent via OTLP", False, str(exc), time.monotonic() - started), None
    return CheckResult(
        "probe sent via OTLP",
        True,
        f"verify id {probe.verify_id}, trace {probe.trace_id}",
        time.monotonic() - started,
    ), probe


def run_all(targets: Targets, *, timeout: float = 60.0) -> list[CheckResult]:
    """Health, then one probe through the collector, then where each signal should land."""
    results = health_checks(targets)
    sent, probe = send_probe(targets)
    results.append(sent)
    if probe is not None:
        # The log first: its check measures how soon after sending it can be queried.
        if targets.victorialogs_url is not None:
            results.append(
                timed("log in VictoriaLogs by trace id", lambda: find_log(targets, probe, timeout))
            )
        else:
            results.append(
                CheckResult(
                    "log in VictoriaLogs by trace id",
                    True,
                    "not checked: no --victorialogs-url",
                    skipped=True,
                )
            )
        results.append(timed("trace in Jaeger", lambda: find_trace(targets, probe, timeout)))
        results.append(timed("metric in Prometheus", lambda: find_metric(targets, probe, timeout)))
    if targets.collector_metrics_url:
        url = targets.collector_metrics_url
        results.append(timed("collector counters", lambda: collector_counters(url)))
    return results


__all__ = ["CheckResult", "PollTimeoutError", "Targets", "run_all"]
