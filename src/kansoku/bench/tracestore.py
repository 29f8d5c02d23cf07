"""``bench capacity --jaeger-storage opensearch``: spans/s stored with zero loss on OpenSearch,
beside Jaeger's memory storage in the same run, with the CPU and RSS of Jaeger and OpenSearch.

Spans only (no points, no logs), at one rate, through a fresh core stack per storage, memory
first. Stored spans are counted where they are kept: Jaeger's storage exporter for memory
(what it wrote is what it holds), OpenSearch itself for OpenSearch (distinct span ids of the
run's service: Jaeger's exporter counts a span as sent once its bulk writer took it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kansoku import conventions as cv
from kansoku.bench import stored
from kansoku.bench.harness import CORE, BenchStack, bench_stack
from kansoku.bench.measure import ProcessSampler
from kansoku.bench.otlpload import LoadConfig, LoadProcess, LoadResult
from kansoku.bench.report import Row, ScenarioResult
from kansoku.stack.supervisor import Report
from kansoku.traces import store

TARGET_SPANS_PER_SECOND = 5_000.0  # on two cores, which collector, Jaeger and OpenSearch share
LOADGEN = "bench-loadgen"


@dataclass(frozen=True)
class TraceStoreOptions:
    storage: str = cv.OPENSEARCH
    duration: float = 60.0
    spans_per_second: float = TARGET_SPANS_PER_SECOND
    settle_timeout: float = 300.0
    settle_quiet: float = 30.0


def _stored(
    stack: BenchStack,
    options: TraceStoreOptions,
    storage: str,
    service: str,
    before: float,
    sent: int,
) -> float:
    if storage != cv.OPENSEARCH:
        metrics = stack.url("jaeger-metrics") + "/metrics"
        return stored.settle(
            lambda: stored.jaeger_exported_spans(metrics) - before,
            sent,
            timeout=options.settle_timeout,
            quiet=options.settle_quiet,
        )
    # Wait on the cheap document count while the backlog drains (the aggregation is slow on a
    # node still indexing), then on distinct spans: copies make the documents reach the
    # target before the last distinct spans are in.
    url = stack.url("opensearch")
    stored.settle(
        lambda: float(store.service_documents(url, service)),
        sent,
        timeout=options.settle_timeout,
        quiet=options.settle_quiet,
    )
    return stored.settle(
        lambda: float(store.service_spans(url, service)[1]),
        sent,
        timeout=options.settle_timeout,
        quiet=options.settle_quiet,
    )


def _measure(storage: str, options: TraceStoreOptions, report: Report) -> list[Row]:
    service = f"kansoku-bench-{storage}-{uuid.uuid4().hex[:8]}"
    report(f"{storage}: {options.spans_per_second:,.0f} spans/s for {options.duration:.0f}s")
    with bench_stack(jaeger_storage=storage, report=report) as stack:
        before = stored.jaeger_exported_spans(stack.url("jaeger-metrics") + "/metrics")
        load = LoadProcess(
            LoadConfig(
                endpoint=stack.otlp_http,
                service=service,
                duration=options.duration,
                spans_per_second=options.spans_per_second,
                points_per_second=0,
            )
        )
        names = (*CORE, cv.OPENSEARCH)
        with ProcessSampler({**stack.pids(names), LOADGEN: load.pid}) as sampler:
            result: LoadResult = load.result()
        spans = _stored(stack, options, storage, service, before, result.spans.sent)
    lost = result.spans.sent - spans
    rate = result.spans.sent / result.seconds if result.seconds else 0.0
    report(f"  {storage}: {result.spans.sent:,} sent, {spans:,.0f} stored")
    rows = [
        Row(f"{storage}: spans/s sent", rate, "1/s", options.spans_per_second, True),
        Row(
            f"{storage}: spans/s stored with zero loss",
            rate if lost <= 0 else 0.0,
            "1/s",
            TARGET_SPANS_PER_SECOND,
            True,
            f"{spans:,.0f} of {result.spans.sent:,} stored",
        ),
        Row(f"{storage}: span loss", lost, "spans", 0),
        Row(
            f"{storage}: refused or failed at the end",
            result.spans.refused + result.spans.failed,
            "spans",
            0,
        ),
    ]
    for name in (cv.COLLECTOR, cv.JAEGER, cv.OPENSEARCH):
        if name in sampler.usage:
            usage = sampler.usage[name]
            rows.append(Row(f"{storage}: {name} CPU", usage.cores, "cores"))
            rows.append(Row(f"{storage}: {name} RSS max", usage.rss_max_mib, "MiB"))
    return rows


def run(options: TraceStoreOptions, report: Report) -> ScenarioResult:
    """Memory storage, then ``options.storage``, at the same rate; one row set each."""
    out = ScenarioResult("capacity-traces")
    for storage in ("memory", options.storage):
        out.add(*_measure(storage, options, report))
    return out
