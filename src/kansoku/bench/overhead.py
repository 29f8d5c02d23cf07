"""``bench overhead``: what instrumentation costs the shop backend per request.

The backend runs twice behind the same core stack: instrumented as shipped, and with
``OTEL_SDK_DISABLED=true``, which ``kansoku.services.telemetry.setup`` turns into no-op
providers and which also skips the custom server-metrics middleware, the FastAPI
instrumentation and the SQLAlchemy instrumentation (see ``services/web.py`` and
``services/backend/app.py``). Each run measures a fixed request rate (latency, backend CPU per
request) and then saturation (requests/s with a closed loop), with the client in its own
process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kansoku import conventions as cv
from kansoku.bench.harness import BenchStack, bench_stack
from kansoku.bench.httpload import HttpLoadConfig, HttpLoadProcess, HttpLoadResult
from kansoku.bench.measure import ProcessSampler
from kansoku.bench.report import Row, ScenarioResult
from kansoku.stack import components
from kansoku.stack import state as st
from kansoku.stack.supervisor import Report, Supervisor

FAST_PATH = "/api/products/1"
TARGET_OVERHEAD_US = 60.0
TARGET_THROUGHPUT_LOSS_PCT = 15.0
# "collector down": instrumented, exporting to a loopback port where nothing listens, so every
# export fails; what the requests pay for that is the latency the collector's outage adds.
# "10% sampled": the SDK's standard head sampler keeps one trace in ten (metrics and logs are
# unchanged); what a busy service would run in production to cut the cost of spans.
SAMPLED = "10% sampled"
VARIANTS = {
    "uninstrumented": {"OTEL_SDK_DISABLED": "true"},
    "instrumented": {},
    SAMPLED: {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
    "collector down": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"},
}


@dataclass(frozen=True)
class OverheadOptions:
    duration: float = 30.0  # per phase and variant
    rate: float = 100.0
    connections: int = 8
    path: str = FAST_PATH


@dataclass(frozen=True)
class Phase:
    load: HttpLoadResult
    server_cpu_seconds: float
    client_cores: float

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * self.server_cpu_seconds / self.load.requests if self.load.requests else 0.0


@contextlib.contextmanager
def backend(stack: BenchStack, variant: str, report: Report) -> Iterator[int]:
    """Run shop-backend beside ``stack`` with the variant's environment; yields its pid."""
    settings = dataclasses.replace(
        stack.settings, services=True, loadgen=False, extra_env=dict(VARIANTS[variant])
    )
    fake_binaries = {b: Path(b) for b in components.needed_binaries()}
    spec = next(
        s for s in components.build_specs(settings, fake_binaries) if s.name == cv.SHOP_BACKEND
    )
    data_dir = stack.settings.data_dir / ("overhead-" + re.sub(r"[^a-z0-9]+", "-", variant))
    state = st.StackState(str(data_dir), settings.bind_address, dict(settings.ports), os.getpid())
    supervisor = Supervisor([spec], state, data_dir / "logs", report=report)
    supervisor.start_all()
    try:
        pid = state.components[cv.SHOP_BACKEND].pid
        if pid is None:
            raise RuntimeError("shop-backend started without a pid")
        yield pid
    finally:
        supervisor.stop_all()


def _phase(pid: int, config: HttpLoadConfig) -> Phase:
    client = HttpLoadProcess(config)
    with ProcessSampler({"server": pid}) as sampler:
        load = client.result()
    # The client reports its own CPU: once it has exited psutil can no longer read it.
    client_cores = load.cpu_seconds / load.seconds if load.seconds else 0.0
    return Phase(load, sampler.usage["server"].cpu_seconds, client_cores)


def _measure(url: str, pid: int, options: OverheadOptions, report: Report) -> dict[str, Phase]:
    warm = HttpLoadConfig(url, min(5.0, options.duration), 0.0, options.connections)
    HttpLoadProcess(warm).result()
    fixed = _phase(pid, HttpLoadConfig(url, options.duration, options.rate, options.connections))
    report(
        f"  fixed {options.rate:.0f}/s: p50 {fixed.load.p50_ms:.2f} ms, p99 "
        f"{fixed.load.p99_ms:.2f} ms, {fixed.cpu_us_per_request:.0f} us CPU/request"
    )
    saturated = _phase(pid, HttpLoadConfig(url, options.duration, 0.0, options.connections))
    report(f"  saturated: {saturated.load.rate:.0f} requests/s")
    return {"fixed": fixed, "saturated": saturated}


def _rows(variant: str, phases: dict[str, Phase]) -> list[Row]:
    fixed, sat = phases["fixed"], phases["saturated"]
    bad = sum(n for s, n in fixed.load.statuses.items() if not s.startswith("2"))
    return [
        Row(f"{variant}: p50 latency", fixed.load.p50_ms, "ms"),
        Row(f"{variant}: p99 latency", fixed.load.p99_ms, "ms"),
        Row(f"{variant}: server CPU per request", fixed.cpu_us_per_request, "us"),
        Row(f"{variant}: saturated throughput", sat.load.rate, "req/s"),
        Row(f"{variant}: server CPU per request, saturated", sat.cpu_us_per_request, "us"),
        Row(f"{variant}: client CPU, saturated", sat.client_cores, "cores", note="apart"),
        Row(f"{variant}: non-2xx or errors", bad + fixed.load.errors + sat.load.errors, "req"),
    ]


def run(options: OverheadOptions, report: Report) -> ScenarioResult:
    out = ScenarioResult("overhead")
    measured: dict[str, dict[str, Phase]] = {}
    with bench_stack(report=report) as stack:
        url = stack.url("shop-backend") + options.path
        for variant in VARIANTS:
            report(f"{variant} backend: {options.duration:.0f}s per phase")
            with backend(stack, variant, report) as pid:
                measured[variant] = _measure(url, pid, options, report)
            out.add(*_rows(variant, measured[variant]))
            time.sleep(1.0)
    on, off = measured["instrumented"], measured["uninstrumented"]
    overhead = on["fixed"].cpu_us_per_request - off["fixed"].cpu_us_per_request
    sat_off = off["saturated"].load.rate
    loss = 100.0 * (1 - on["saturated"].load.rate / sat_off) if sat_off else 0.0
    sampled = measured[SAMPLED]
    down = measured["collector down"]["fixed"].load
    out.add(
        Row("instrumentation CPU per request", overhead, "us", TARGET_OVERHEAD_US),
        Row("throughput lost at saturation", loss, "%", TARGET_THROUGHPUT_LOSS_PCT),
        Row(
            "instrumentation CPU per request, 10% sampled",
            sampled["fixed"].cpu_us_per_request - off["fixed"].cpu_us_per_request,
            "us",
            TARGET_OVERHEAD_US,
        ),
        Row(
            "throughput lost at saturation, 10% sampled",
            100.0 * (1 - sampled["saturated"].load.rate / sat_off) if sat_off else 0.0,
            "%",
            TARGET_THROUGHPUT_LOSS_PCT,
        ),
        Row(
            "added p50 latency",
            on["fixed"].load.p50_ms - off["fixed"].load.p50_ms,
            "ms",
            note=f"at {options.rate:.0f} req/s",
        ),
        Row(
            "added p50 latency, collector down",
            down.p50_ms - on["fixed"].load.p50_ms,
            "ms",
            note="vs collector up",
        ),
        Row(
            "added p99 latency, collector down",
            down.p99_ms - on["fixed"].load.p99_ms,
            "ms",
            note="vs collector up",
        ),
    )
    out.details = {
        v: {p: dataclasses.asdict(ph) for p, ph in phases.items()} for v, phases in measured.items()
    }
    out.details["path"] = options.path
    return out
