"""Running the capacity ramp: each phase on a fresh core stack, each step measured.

A step sends its rates for ``step_seconds`` from the OTLP load generator (its own process).
From the first second the collector's own metrics are read every second for each exporter's
backlog; after ``warmup_seconds`` the CPU and RSS of every process, and the whole machine's
CPU, are sampled until the load ends, so the costs are those of the steady state. Then every
active signal's stored count is polled together until each reaches what the collector accepted
(its drain time is when it did) or stops moving. A fresh stack per phase keeps a failed
phase's backlog out of the next.
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
import psutil

from kansoku import conventions as cv
from kansoku.bench import limits, stored
from kansoku.bench.harness import CORE, BenchStack, bench_stack
from kansoku.bench.measure import MIB, MetricsText, ProcessSampler
from kansoku.bench.otlpload import LoadConfig, LoadProcess, LoadResult
from kansoku.bench.ramp import (
    DEFAULT_MULTIPLIERS,
    LOADGEN,
    PHASES,
    Backlog,
    Criteria,
    PhaseRecord,
    RampRecord,
    Rates,
    SignalCount,
    StepRecord,
    Usage,
    plan,
    problems,
)
from kansoku.stack.supervisor import Report

# Exporter ids as config/collector/collector.yaml names them; their backlog is the sending
# queue's size (in batches). Points go through the remote-write WAL: its backlog is what was
# written to it and not yet read back for sending, in MiB (the WAL reader reads, then sends
# one request at a time, so a slow Prometheus holds the reader back).
EXPORTER_OF = {"spans": "otlp_grpc/jaeger", "logs": "otlp_http/victorialogs"}
WAL = "otelcol_exporter_prometheusremotewrite_wal_bytes_"
REFUSED = (
    "otelcol_receiver_refused_spans",
    "otelcol_receiver_refused_metric_points",
    "otelcol_receiver_refused_log_records",
)
GOAL = Rates(20_000, 20_000, 10_000)  # spans/s, points/s, log records/s at once
REQUESTS_PER_WORKER = 10.0  # a worker sends at most this many requests a second


@dataclass(frozen=True)
class RampOptions:
    mix: Rates = GOAL
    multipliers: tuple[float, ...] = DEFAULT_MULTIPLIERS
    phases: tuple[str, ...] = PHASES
    step_seconds: float = 30.0
    warmup_seconds: float = 10.0
    criteria: Criteria = field(default_factory=Criteria)
    settle_timeout: float = 120.0  # after the load, how long a late signal is waited for
    quiet_seconds: float = 20.0  # a count unchanged this long has stopped


def counter_total(text: MetricsText, name: str, **labels: str) -> float:
    """A counter by its name with or without the ``_total`` suffix the exposition may add."""
    return text.total(name, **labels) + text.total(name + "_total", **labels)


def read_backlogs(text: MetricsText) -> dict[str, tuple[float, float]]:
    """Each signal's backlog and its capacity (0: unbounded) from one collector reading."""
    found = {
        signal: (
            text.total("otelcol_exporter_queue_size", exporter=exporter),
            text.total("otelcol_exporter_queue_capacity", exporter=exporter),
        )
        for signal, exporter in EXPORTER_OF.items()
    }
    unread = text.total(WAL + "written") - text.total(WAL + "read")
    found["points"] = (max(0.0, unread) / MIB, 0.0)
    return found


def refused_total(text: MetricsText) -> float:
    return sum(counter_total(text, name) for name in REFUSED)


class BacklogProbe:
    """Reads the collector's backlogs every ``interval`` seconds in a thread."""

    def __init__(self, metrics_url: str, interval: float = 1.0) -> None:
        self.url = metrics_url
        self.interval = interval
        self.backlogs: dict[str, Backlog] = {}
        self.missed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="backlog-probe", daemon=True)

    def __enter__(self) -> BacklogProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                text = MetricsText.fetch(self.url)
            except httpx.HTTPError:
                self.missed += 1  # a gap in the samples, not a failure of the step
                continue
            for signal, (size, capacity) in read_backlogs(text).items():
                backlog = self.backlogs.setdefault(signal, Backlog(capacity=capacity))
                backlog.samples.append(size)


def drain(
    counters: Mapping[str, Callable[[], float]],
    targets: Mapping[str, float],
    *,
    timeout: float,
    quiet: float,
    interval: float = 1.0,
    progress: Report | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, tuple[float, float | None]]:
    """Poll every count together: ``{signal: (stored, seconds until it reached its target)}``.

    A signal is done when it reaches its target, or when it has not moved for ``quiet``
    seconds (its time is then None); all are bounded by ``timeout``.
    """
    started = clock()
    last = dict.fromkeys(counters, -1.0)
    moved = dict.fromkeys(counters, started)
    reached: dict[str, float | None] = {}
    while True:
        now = clock()
        for signal in [s for s in counters if s not in reached]:
            value = stored.safe_count(counters[signal], last[signal])
            if value != last[signal]:
                last[signal], moved[signal] = value, now
                if progress:
                    progress(f"  {signal} stored: {value:,.0f} of {targets[signal]:,.0f}")
            if value >= targets[signal]:
                reached[signal] = now - started
            elif now - moved[signal] >= quiet or now - started >= timeout:
                reached[signal] = None
        if len(reached) == len(counters):
            return {s: (max(last[s], 0.0), reached[s]) for s in counters}
        sleep(interval)


def _load_config(stack: BenchStack, service: str, rates: Rates, seconds: float) -> LoadConfig:
    requests = max(
        rates.spans / LoadConfig.spans_per_request,
        rates.points / LoadConfig.points_per_request,
        rates.logs / LoadConfig.logs_per_request,
    )
    return LoadConfig(
        endpoint=stack.otlp_http,
        service=service,
        duration=seconds,
        spans_per_second=rates.spans,
        points_per_second=rates.points,
        logs_per_second=rates.logs,
        concurrency=max(4, min(32, math.ceil(requests / REQUESTS_PER_WORKER))),
    )


def _counters(
    stack: BenchStack, service: str, result: LoadResult, spans_before: float
) -> dict[str, Callable[[], float]]:
    jaeger = stack.url("jaeger-metrics") + "/metrics"
    prom, logs = stack.url("prometheus"), stack.url("victorialogs")
    return {
        "spans": lambda: stored.jaeger_exported_spans(jaeger) - spans_before,
        "points": lambda: stored.prometheus_samples(prom, service, result.first_millis),
        "logs": lambda: stored.victorialogs_records(logs, service),
    }


@dataclass
class _Window:
    """What was sampled over a step's steady window."""

    usage: dict[str, Usage]
    machine_cores: float


def _steady_window(
    stack: BenchStack, load: LoadProcess, warmup: float
) -> tuple[LoadResult, _Window]:
    time.sleep(warmup)  # the step's first seconds fill batches and queues: not steady yet
    pids = {**stack.pids(CORE), LOADGEN: load.pid}
    cpu0, wall0 = psutil.cpu_times(), time.monotonic()
    with ProcessSampler(pids) as sampler:
        result = load.result()
    cpu1, wall = psutil.cpu_times(), time.monotonic() - wall0
    busy = sum(cpu1) - sum(cpu0) - (cpu1.idle - cpu0.idle) - (cpu1.iowait - cpu0.iowait)
    usage = {n: Usage(u.cores, u.rss_max_mib) for n, u in sampler.usage.items()}
    # The generator has exited when the sampler takes its last reading: its own CPU time
    # (reported in its result, over the whole step) stands in.
    usage[LOADGEN].cores = result.cpu_seconds / result.seconds if result.seconds else 0.0
    return result, _Window(usage, busy / wall if wall else 0.0)


def run_step(
    stack: BenchStack, phase: str, index: int, rates: Rates, options: RampOptions, report: Report
) -> StepRecord:
    """One step: load at ``rates``, sample, count what was stored, apply the stop rule."""
    service = f"kansoku-ramp-{phase}-{index}-{uuid.uuid4().hex[:6]}"
    load_before = os.getloadavg()[0]
    refused0 = refused_total(stack.collector_metrics())
    report(f"{phase} step {index + 1}: {rates.label()} for {options.step_seconds:.0f}s")
    spans_before = stored.jaeger_exported_spans(stack.url("jaeger-metrics") + "/metrics")
    with BacklogProbe(stack.url("collector-metrics") + "/metrics") as probe:
        load = LoadProcess(_load_config(stack, service, rates, options.step_seconds))
        result, window = _steady_window(stack, load, options.warmup_seconds)
    # Rates per second of the load window, as `bench capacity` counts them: the last
    # requests' answers arrive after the window closes.
    seconds = options.step_seconds
    signals = {
        s: SignalCount(rates.of(s), t.sent, t.refused, t.failed)
        for s, t in (("spans", result.spans), ("points", result.points), ("logs", result.logs))
        if rates.of(s) > 0
    }
    counters = _counters(stack, service, result, spans_before)
    drained = drain(
        {s: counters[s] for s in signals},
        {s: float(c.sent) for s, c in signals.items()},
        timeout=options.settle_timeout,
        quiet=options.quiet_seconds,
        progress=report,
    )
    for signal, (count, took) in drained.items():
        signals[signal].stored, signals[signal].drain_seconds = count, took
    step = StepRecord(phase, index, rates, seconds, signals, window.usage, window.machine_cores)
    step.backlogs = probe.backlogs
    step.collector_refused = refused_total(stack.collector_metrics()) - refused0
    step.load_average = (load_before, os.getloadavg()[0])
    step.problems = problems(step, options.criteria)
    limits.annotate(step, os.cpu_count() or 1, options.criteria)
    _report_step(step, report)
    return step


def _report_step(step: StepRecord, report: Report) -> None:
    collector = step.usage.get(cv.COLLECTOR, Usage())
    report(
        f"  {step.items_per_second:,.0f} items/s accepted; collector {collector.cores:.2f} core, "
        f"{step.cpu_ms_per_thousand(cv.COLLECTOR):.1f} ms CPU per 1,000 items; machine "
        f"{step.machine_cores:.2f} cores busy; load average {step.load_average[0]:.1f} -> "
        f"{step.load_average[1]:.1f}"
    )
    for line in step.problems:
        report(f"  FAILED: {line}")
    if step.limit:
        report(f"  limit: {step.limit} ({step.evidence})")


def run(options: RampOptions, report: Report) -> RampRecord:
    """Every phase in turn, each on its own stack, each up to its first failed step."""
    record = RampRecord(
        options.mix,
        list(options.multipliers),
        options.step_seconds,
        options.warmup_seconds,
        options.criteria,
    )
    for phase, steps in plan(options.mix, options.multipliers, options.phases).items():
        report(f"ramp phase {phase}: up to {len(steps)} steps")
        done = PhaseRecord(phase)
        record.phases.append(done)
        with bench_stack(report=report) as stack:
            for index, rates in enumerate(steps):
                step = run_step(stack, phase, index, rates, options, report)
                done.steps.append(step)
                if not step.ok:
                    break
    return record
