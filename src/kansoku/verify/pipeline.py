"""Where the metrics pipeline's points are: the collector's and Prometheus's own counters.

A point sent to the collector passes these stages, each with its own counters:

    receiver (accepted / refused by memory_limiter)
      -> processors, in pipeline order (items in / out; series_limit's dropped points)
      -> prometheus_remote_write exporter (points sent = written to its WAL; failed)
      -> the exporter's WAL reader (WAL writes, read failures, lag; requests sent)
      -> Prometheus (remote-write requests by status; samples appended, out-of-order, too old)

``PipelineCounts`` is one reading of all of them. ``await_stored`` waits for points to be
queryable in Prometheus on conditions that show progress, never on a fixed time: until the
exporter has taken every point that had passed the processors when ours were accepted (so
ours are in its WAL), then until the WAL reader has made as many requests as the WAL had
entries by then and Prometheus has answered once more (so ours were sent and answered).
Points still missing then were lost, and it raises ``NotStoredError`` with the counters of
every stage, then and now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from kansoku import conventions as cv
from kansoku.bench.measure import MetricsText

EXPORTER = "prometheus_remote_write"
PRW = "otelcol_exporter_prometheusremotewrite_"
# The metrics pipeline's processors that count items in and out, in order
# (config/collector/collector.yaml); batch has counters of its own, over every pipeline.
PROCESSORS = ("memory_limiter", "series_limit", "resource_detection")


@dataclass(frozen=True)
class Counter:
    """One stage's counter: where it is read and which label values it is summed over."""

    stage: str
    name: str
    labels: tuple[tuple[str, str], ...] = ()


def _processor(processor: str, direction: str) -> Counter:
    return Counter(
        f"processor {processor} {direction}",
        f"otelcol_processor_{direction}_items",
        (("processor", processor), ("otel_signal", "metrics")),
    )


COLLECTOR: tuple[Counter, ...] = (
    Counter(
        "receiver otlp accepted", "otelcol_receiver_accepted_metric_points", (("receiver", "otlp"),)
    ),
    Counter("receivers accepted", "otelcol_receiver_accepted_metric_points"),
    Counter("receivers refused", "otelcol_receiver_refused_metric_points"),
    *(_processor(p, d) for p in PROCESSORS for d in ("incoming", "outgoing")),
    Counter("series_limit dropped", cv.COLLECTOR_SERIES_DROPPED),
    Counter("batch sent (all pipelines)", "otelcol_processor_batch_batch_send_size_sum"),
    Counter(
        "exporter sent (to WAL)", "otelcol_exporter_sent_metric_points", (("exporter", EXPORTER),)
    ),
    Counter(
        "exporter failed", "otelcol_exporter_send_failed_metric_points", (("exporter", EXPORTER),)
    ),
    Counter(
        "exporter enqueue failed",
        "otelcol_exporter_enqueue_failed_metric_points",
        (("exporter", EXPORTER),),
    ),
    Counter("exporter queue size", "otelcol_exporter_queue_size", (("exporter", EXPORTER),)),
    Counter("WAL writes", PRW + "wal_writes"),
    Counter("WAL write failures", PRW + "wal_writes_failures"),
    Counter("WAL write ms (sum)", PRW + "wal_write_latency_sum"),
    Counter("WAL read failures", PRW + "wal_reads_failures"),
    Counter("WAL lag (entries)", PRW + "wal_lag"),
    Counter("WAL reads", PRW + "wal_reads"),
    Counter("requests sent", PRW + "sent_batches"),
    Counter("translation failures", PRW + "failed_translations"),
)
_WRITE = (("handler", "/api/v1/write"),)
PROMETHEUS: tuple[Counter, ...] = (
    Counter("write requests answered", "prometheus_http_requests_total", _WRITE),
    Counter("write requests 2xx", "prometheus_http_requests_total", (*_WRITE, ("code", "204"))),
    Counter("write requests 400", "prometheus_http_requests_total", (*_WRITE, ("code", "400"))),
    Counter("samples appended", "prometheus_tsdb_head_samples_appended_total"),
    Counter("out-of-order samples", "prometheus_tsdb_out_of_order_samples_total"),
    Counter("out-of-bounds samples", "prometheus_tsdb_out_of_bound_samples_total"),
    Counter("too-old samples", "prometheus_tsdb_too_old_samples_total"),
)


@dataclass
class PipelineCounts:
    """One reading of every stage's counter; ``error`` when a metrics endpoint did not answer."""

    at: float
    values: dict[str, float] = field(default_factory=dict)
    error: str = ""

    @classmethod
    def read(cls, collector_metrics_url: str, prometheus_url: str) -> PipelineCounts:
        counts = cls(time.monotonic())
        for url, counters in (
            (collector_metrics_url, COLLECTOR),
            (prometheus_url + "/metrics", PROMETHEUS),
        ):
            try:
                text = MetricsText.fetch(url)
            except httpx.HTTPError as exc:
                counts.error += f"{url}: {type(exc).__name__} {exc}; "
                continue
            for c in counters:
                counts.values[c.stage] = text.total(c.name, **dict(c.labels))
        return counts

    def get(self, stage: str) -> float:
        return self.values.get(stage, 0.0)

    def exporter_done(self) -> float:
        """Points the exporter has finished with: written to its WAL, failed or not queued."""
        return (
            self.get("exporter sent (to WAL)")
            + self.get("exporter failed")
            + self.get("exporter enqueue failed")
        )


def table(before: PipelineCounts, now: PipelineCounts) -> str:
    """Every stage's counter now and its change since ``before``, one line each."""
    lines = []
    for c in (*COLLECTOR, *PROMETHEUS):
        value = now.get(c.stage)
        lines.append(f"  {c.stage:<34} {value:>14,.0f}  ({value - before.get(c.stage):+,.0f})")
    if now.error:
        lines.append(f"  unreadable: {now.error}")
    return "\n".join(lines)


class NotStoredError(AssertionError):
    """The points were not all queryable once the pipeline had had every chance to store them."""


@dataclass
class _Progress:
    """What ``await_stored`` has seen so far, for its report."""

    started: float
    stored: float = -1.0
    wal_entries: float | None = None  # WAL writes once the exporter had taken our points
    answered: float | None = None  # Prometheus's write answers once that many were sent
    done: bool = False  # Prometheus has answered a write request since then
    log: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.log.append(f"  {time.monotonic() - self.started:6.1f}s {text}")


def await_stored(
    count: Callable[[], float],
    target: float,
    *,
    read: Callable[[], PipelineCounts],
    accepted: PipelineCounts,
    stall: float = 120.0,
    give_up: float = 600.0,
    interval: float = 0.5,
    report: Callable[[str], None] | None = None,
) -> float:
    """Wait until ``count()`` reaches ``target``; return it.

    ``read`` takes a reading (``PipelineCounts.read`` with the stack's URLs); ``accepted`` is
    one taken right after the collector accepted the points. The stages, each shown by a
    counter, never by elapsed time:

    1. the exporter has taken every point that had left ``series_limit`` by then (the
       pipeline is in order, so ours are in the WAL);
    2. the WAL reader has made as many requests as the WAL had entries at stage 1 (one
       request per entry; the counter counts attempts once answered or failed);
    3. Prometheus has answered a write request since stage 2. The exporter sends one request
       at a time, so a failed attempt of ours was retried and answered by then.

    Points still missing after stage 3 were lost: ``NotStoredError``, with every stage's
    counters. Retries of earlier entries count as attempts too, which can bring stage 2
    early; the table then shows them (write answers other than 2xx). It is raised too when
    no counter moved for ``stall`` seconds, or after ``give_up`` seconds, a safety net only.
    """
    progress = _Progress(time.monotonic())
    last_move, last_values = progress.started, accepted.values
    took = accepted.get("processor series_limit outgoing")
    while True:
        now = read()
        value = _safe(count, progress.stored)  # after the counters: it sees what they saw
        if value != progress.stored:
            progress.stored = value
            progress.note(f"stored {value:,.0f} of {target:,.0f}")
        if value >= target:
            if report:
                report("\n".join(progress.log))
            return value
        _advance(progress, now, took)
        if now.values != last_values:
            last_move, last_values = now.at, now.values
        why = ""
        if progress.done:
            why = "Prometheus had answered the requests carrying them"
        elif now.at - last_move >= stall:
            why = f"no counter moved for {stall:.0f}s"
        elif now.at - progress.started >= give_up:
            why = f"still waiting after {give_up:.0f}s"
        if why:
            raise NotStoredError(
                f"{value:,.0f} of {target:,.0f} stored after {now.at - progress.started:.1f}s "
                f"({why}):\n"
                + "\n".join(progress.log)
                + "\ncounters now (change since the points were accepted):\n"
                + table(accepted, now)
            )
        time.sleep(interval)


def _advance(progress: _Progress, now: PipelineCounts, took: float) -> None:
    """Move through the stages as the counters show them passed (one per reading)."""
    if progress.wal_entries is None:
        if now.exporter_done() >= took:
            progress.wal_entries = now.get("WAL writes")
            progress.note(
                f"stage 1: exporter has taken all {took:,.0f} points; "
                f"WAL entries {progress.wal_entries:,.0f}"
            )
    elif progress.answered is None:
        if now.get("requests sent") >= progress.wal_entries:
            progress.answered = now.get("write requests answered")
            progress.note(
                f"stage 2: {now.get('requests sent'):,.0f} requests made; "
                f"Prometheus answered {progress.answered:,.0f}"
            )
    elif now.get("write requests answered") > progress.answered:
        progress.done = True
        progress.note(f"stage 3: Prometheus answered {now.get('write requests answered'):,.0f}")


def _safe(count: Callable[[], float], last: float) -> float:
    try:
        return count()
    except (httpx.HTTPError, RuntimeError, KeyError, IndexError, ValueError):
        return last
