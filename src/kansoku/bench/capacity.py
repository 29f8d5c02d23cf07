"""``bench capacity``: spans/s, points/s and log records/s sustained end to end, sent vs
stored.

One run of the OTLP load generator at the target rates (all three signals at once) through a
fresh core stack, then a short saturated run that shows the generator's (and the stack's)
ceiling. Stored spans are counted by Jaeger's storage exporter plus a spot check of whole
traces; stored points by Prometheus itself; stored log records by VictoriaLogs itself.
Collector, VictoriaLogs and generator CPU/RSS come from psutil, each apart.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from kansoku import conventions as cv
from kansoku.bench import stored
from kansoku.bench.harness import CORE, BenchStack, bench_stack
from kansoku.bench.measure import ProcessSampler
from kansoku.bench.otlpload import LoadConfig, LoadProcess, LoadResult
from kansoku.bench.ramp import LOADGEN
from kansoku.bench.report import Row, ScenarioResult
from kansoku.stack.supervisor import Report

TARGET_RATE = 10_000.0
TARGET_COLLECTOR_CORES = 0.5
TARGET_COLLECTOR_RSS_MIB = 150.0


@dataclass(frozen=True)
class CapacityOptions:
    duration: float = 60.0
    spans_per_second: float = TARGET_RATE
    points_per_second: float = TARGET_RATE
    logs_per_second: float = TARGET_RATE
    ceiling_seconds: float = 10.0
    drain_timeout: float = 90.0


def _run_load(
    stack: BenchStack, config: LoadConfig, report: Report
) -> tuple[LoadResult, ProcessSampler]:
    load = LoadProcess(config)
    pids = {**stack.pids(CORE), LOADGEN: load.pid}
    with ProcessSampler(pids) as sampler:
        result = load.result()
    report(
        f"  sent {result.spans.sent:,} spans, {result.points.sent:,} points, "
        f"{result.logs.sent:,} log records in "
        f"{result.seconds:.1f}s (generator CPU {result.cpu_seconds:.1f}s)"
    )
    return result, sampler


def _stored_spans(stack: BenchStack, before: float, result: LoadResult, report: Report) -> float:
    url = stack.url("jaeger-metrics") + "/metrics"
    return stored.settle(
        lambda: stored.jaeger_exported_spans(url) - before,
        result.spans.sent,
        timeout=90.0,
        quiet=15.0,
        progress=report,
        what="spans in Jaeger",
    )


def _stored_points(stack: BenchStack, service: str, result: LoadResult, report: Report) -> float:
    prom = stack.url("prometheus")
    return stored.settle(
        lambda: stored.prometheus_samples(prom, service, result.first_millis),
        result.points.sent,
        timeout=90.0,
        quiet=15.0,
        progress=report,
        what="points in Prometheus",
    )


def _stored_logs(stack: BenchStack, service: str, result: LoadResult, report: Report) -> float:
    url = stack.url("victorialogs")
    return stored.settle(
        lambda: stored.victorialogs_records(url, service),
        result.logs.sent,
        timeout=90.0,
        quiet=15.0,
        progress=report,
        what="log records in VictoriaLogs",
    )


def _throughput_rows(
    result: LoadResult, spans: float, points: float, logs: float, options: CapacityOptions
) -> list[Row]:
    # Per second of the load window: the last requests' answers arrive after it closes.
    failed = sum(t.refused + t.failed for t in (result.spans, result.points, result.logs))
    secs = options.duration
    return [
        Row("spans/s accepted", result.spans.sent / secs, "1/s", options.spans_per_second, True),
        Row("points/s accepted", result.points.sent / secs, "1/s", options.points_per_second, True),
        Row("spans stored / sent", spans, "spans", note=f"of {result.spans.sent:,} sent"),
        Row("span loss", result.spans.sent - spans, "spans", 0),
        Row("points stored / sent", points, "points", note=f"of {result.points.sent:,} sent"),
        Row("point loss", result.points.sent - points, "points", 0),
        Row(
            "log records/s accepted", result.logs.sent / secs, "1/s", options.logs_per_second, True
        ),
        Row("log records stored / sent", logs, "records", note=f"of {result.logs.sent:,} sent"),
        Row("log record loss", result.logs.sent - logs, "records", 0),
        Row("refused or failed at the end", failed, "items", 0),
    ]


def _usage_rows(sampler: ProcessSampler, result: LoadResult, options: CapacityOptions) -> list[Row]:
    col = sampler.usage[cv.COLLECTOR]
    gen_cores = result.cpu_seconds / result.seconds if result.seconds else 0.0
    items = result.spans.sent + result.points.sent + result.logs.sent
    per_item_us = 1e6 * result.cpu_seconds / items if items else 0.0
    rows = [
        Row("collector CPU", col.cores, "cores", TARGET_COLLECTOR_CORES),
        Row("collector RSS max", col.rss_max_mib, "MiB", TARGET_COLLECTOR_RSS_MIB),
        Row(
            "collector RSS max, not file-backed",
            col.anon_max_mib,
            "MiB",
            note="RSS less the mapped binary and files",
        ),
        Row("prometheus CPU", sampler.usage[cv.PROMETHEUS].cores, "cores"),
        Row("jaeger CPU", sampler.usage[cv.JAEGER].cores, "cores"),
        Row("victorialogs CPU", sampler.usage[cv.VICTORIALOGS].cores, "cores"),
        Row("victorialogs RSS max", sampler.usage[cv.VICTORIALOGS].rss_max_mib, "MiB"),
        Row("load generator CPU", gen_cores, "cores", note="its own process, apart"),
        Row("load generator RSS max", sampler.usage[LOADGEN].rss_max_mib, "MiB"),
        Row("load generator cost", per_item_us, "us CPU/item"),
    ]
    if per_item_us:
        rows.append(
            Row(
                "load generator ceiling",
                1e6 / per_item_us,
                "items/s/core",
                2
                * (options.spans_per_second + options.points_per_second + options.logs_per_second),
                True,
                "from its CPU per item",
            )
        )
    return rows


def _ceiling(stack: BenchStack, options: CapacityOptions, report: Report) -> list[Row]:
    if options.ceiling_seconds <= 0:
        return []
    report(f"ceiling: saturated load for {options.ceiling_seconds:.0f}s")
    config = LoadConfig(
        endpoint=stack.otlp_http,
        service=f"kansoku-bench-ceiling-{uuid.uuid4().hex[:8]}",
        duration=options.ceiling_seconds,
        logs_per_second=options.logs_per_second,
        saturate=True,
    )
    result, sampler = _run_load(stack, config, report)
    secs = options.ceiling_seconds
    return [
        Row("saturated spans/s accepted", result.spans.sent / secs, "1/s"),
        Row("saturated points/s accepted", result.points.sent / secs, "1/s"),
        Row("saturated log records/s accepted", result.logs.sent / secs, "1/s"),
        Row("saturated collector CPU", sampler.usage[cv.COLLECTOR].cores, "cores"),
        Row("saturated generator CPU", result.cpu_seconds / secs, "cores"),
    ]


def run(options: CapacityOptions, report: Report) -> ScenarioResult:
    """Start a core stack, load it, count what arrived, stop it."""
    out = ScenarioResult("capacity")
    service = f"kansoku-bench-{uuid.uuid4().hex[:8]}"
    with bench_stack(report=report) as stack:
        before = stored.jaeger_exported_spans(stack.url("jaeger-metrics") + "/metrics")
        config = LoadConfig(
            endpoint=stack.otlp_http,
            service=service,
            duration=options.duration,
            spans_per_second=options.spans_per_second,
            points_per_second=options.points_per_second,
            logs_per_second=options.logs_per_second,
        )
        report(
            f"load: {options.spans_per_second:,.0f} spans/s + "
            f"{options.points_per_second:,.0f} points/s + "
            f"{options.logs_per_second:,.0f} log records/s for {options.duration:.0f}s"
        )
        result, sampler = _run_load(stack, config, report)
        spans = _stored_spans(stack, before, result, report)
        points = _stored_points(stack, service, result, report)
        logs = _stored_logs(stack, service, result, report)
        complete = stored.complete_traces(
            stack.url("jaeger-query"), result.trace_ids, config.spans_per_trace
        )
        out.add(*_throughput_rows(result, spans, points, logs, options))
        out.add(Row("spot-checked traces complete", complete, f"of {len(result.trace_ids)}"))
        out.add(*_usage_rows(sampler, result, options))
        counters = stack.collector_metrics()
        out.details["collector"] = {
            # This collector exposes its counters without the _total suffix; either is read.
            name: counters.total(name) + counters.total(name.removesuffix("_total"))
            for name in (
                "otelcol_receiver_refused_spans_total",
                "otelcol_receiver_refused_metric_points_total",
                "otelcol_exporter_send_failed_spans_total",
                "otelcol_exporter_send_failed_metric_points_total",
                "otelcol_receiver_refused_log_records_total",
                "otelcol_exporter_send_failed_log_records_total",
            )
        }
        out.add(*_ceiling(stack, options, report))
    out.details["load"] = asdict(result)
    out.details["config"] = asdict(config)
    return out
