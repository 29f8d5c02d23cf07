"""``bench overhead``: what instrumentation costs shop-backend per request, beside the stock one.

Six variants run behind the same core stack, each in shop-backend's slot:

- ``reference, bare`` / ``reference, stock``: the reference endpoint of
  ``kansoku.bench.reference``, uninstrumented and with the stock FastAPI instrumentation;
- ``uninstrumented``: shop-backend with ``OTEL_SDK_DISABLED=true``, which
  ``kansoku.services.telemetry.setup`` turns into no-op providers and which also skips the
  custom server-metrics middleware, the FastAPI and the SQLAlchemy instrumentation;
- ``instrumented`` (as shipped), ``10% sampled`` and ``collector down`` (see ``VARIANTS``).

Round 1 runs every variant: a fixed request rate (latency, CPU per request), then saturation (a
closed loop). Later rounds run the first four at saturation again, in the same order, so drift
over the run shows (``kansoku.bench.comparison``). The client runs in its own process. Then
``kansoku.bench.instructions`` counts instructions per request of the four, in process under
callgrind, exporting to the same collector; with ``features`` also shop-backend with each
telemetry feature switched (``kansoku.services.telemetry_features``).
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
from kansoku.bench import comparison as cmp
from kansoku.bench import instructions, reference
from kansoku.bench.harness import BenchStack, bench_stack
from kansoku.bench.httpload import HttpLoadConfig, HttpLoadProcess, HttpLoadResult
from kansoku.bench.measure import ProcessSampler
from kansoku.bench.report import Row, ScenarioResult
from kansoku.services.telemetry_features import FEATURES, SHIPPED_OFF
from kansoku.stack import components
from kansoku.stack import state as st
from kansoku.stack.supervisor import Report, Supervisor

FAST_PATH = "/api/products/1"
TARGET_THROUGHPUT_LOSS_PCT = 15.0
# "collector down": instrumented, exporting to a loopback port where nothing listens, so every
# export fails; what the requests pay for that is the latency the collector's outage adds.
# "10% sampled": the SDK's standard head sampler keeps one trace in ten (metrics and logs are
# unchanged); what a busy service would run in production to cut the cost of spans.
SAMPLED = "10% sampled"
DOWN = "collector down"
VARIANTS: dict[str, dict[str, str]] = {
    cmp.BARE: {reference.ENV_MODE: "bare"},
    cmp.STOCK: {reference.ENV_MODE: "stock"},
    cmp.OFF: {"OTEL_SDK_DISABLED": "true"},
    cmp.ON: {},
    SAMPLED: {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
    DOWN: {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"},
}
_UNTIMED = {
    "OTEL_METRIC_EXPORT_INTERVAL": "3600000",
    "OTEL_BSP_SCHEDULE_DELAY": "3600000",
    "OTEL_BLRP_SCHEDULE_DELAY": "3600000",
}
REFERENCE_ARGV = ("-m", "kansoku.bench.reference")
INPROC_APP = {cmp.BARE: "bare", cmp.STOCK: "stock", cmp.OFF: "shop", cmp.ON: "shop"}


@dataclass(frozen=True)
class OverheadOptions:
    duration: float = 30.0  # per phase and variant
    rate: float = 100.0
    connections: int = 8
    path: str = FAST_PATH
    rounds: int = 2  # saturation rounds of the four compared variants
    counted_requests: int = 200  # per variant under callgrind; 0 = no instruction counts
    features: bool = False  # also count shop-backend with each telemetry feature switched


@dataclass(frozen=True)
class Phase:
    load: HttpLoadResult
    server_cpu_seconds: float
    client_cores: float

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * self.server_cpu_seconds / self.load.requests if self.load.requests else 0.0

    @property
    def saturated(self) -> cmp.Saturated:
        return cmp.Saturated(self.load.rate, self.cpu_us_per_request)


def _spec(stack: BenchStack, variant: str) -> components.ComponentSpec:
    settings = dataclasses.replace(
        stack.settings, services=True, loadgen=False, extra_env=dict(VARIANTS[variant])
    )
    fake_binaries = {b: Path(b) for b in components.needed_binaries()}
    spec = next(
        s for s in components.build_specs(settings, fake_binaries) if s.name == cv.SHOP_BACKEND
    )
    if reference.ENV_MODE in VARIANTS[variant]:
        # The reference runs in shop-backend's slot: same port, same OTEL_* environment.
        spec = dataclasses.replace(spec, argv=[spec.argv[0], *REFERENCE_ARGV])
    return spec


@contextlib.contextmanager
def backend(stack: BenchStack, variant: str, report: Report) -> Iterator[int]:
    """Run the variant's server beside ``stack``; yields its pid."""
    spec = _spec(stack, variant)
    data_dir = stack.settings.data_dir / ("overhead-" + re.sub(r"[^a-z0-9]+", "-", variant))
    state = st.StackState(
        str(data_dir), stack.settings.bind_address, dict(stack.settings.ports), os.getpid()
    )
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


def _measure(
    url: str, pid: int, options: OverheadOptions, report: Report, fixed_rate: bool
) -> dict[str, Phase]:
    warm = HttpLoadConfig(url, min(5.0, options.duration), 0.0, options.connections)
    HttpLoadProcess(warm).result()
    phases = {}
    if fixed_rate:
        config = HttpLoadConfig(url, options.duration, options.rate, options.connections)
        fixed = phases["fixed"] = _phase(pid, config)
        report(
            f"  fixed {options.rate:.0f}/s: p50 {fixed.load.p50_ms:.2f} ms, p99 "
            f"{fixed.load.p99_ms:.2f} ms, {fixed.cpu_us_per_request:.0f} us CPU/request"
        )
    sat = phases["saturated"] = _phase(
        pid, HttpLoadConfig(url, options.duration, 0.0, options.connections)
    )
    report(
        f"  saturated: {sat.load.rate:.0f} requests/s, {sat.cpu_us_per_request:.0f} us CPU/request"
    )
    return phases


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


def _saturation_rounds(
    stack: BenchStack, options: OverheadOptions, report: Report
) -> tuple[dict[str, dict[str, Phase]], list[cmp.Round]]:
    url = stack.url("shop-backend") + options.path
    first: dict[str, dict[str, Phase]] = {}
    rounds = []
    for number in range(1, max(1, options.rounds) + 1):
        runs = {}
        for variant in VARIANTS if number == 1 else cmp.ORDER:
            report(f"round {number}, {variant}: {options.duration:.0f}s per phase")
            with backend(stack, variant, report) as pid:
                phases = _measure(url, pid, options, report, fixed_rate=number == 1)
            if number == 1:
                first[variant] = phases
            runs[variant] = phases["saturated"].saturated
            time.sleep(1.0)
        rounds.append(cmp.Round(number, {v: runs[v] for v in cmp.ORDER}))
    return first, rounds


def _count(
    stack: BenchStack, variant: str, extra: dict[str, str], options: OverheadOptions
) -> float:
    # The driver gets the environment the server would (the same collector, the same OTEL_*)
    # but no timed exports: under callgrind a run lasts minutes, and a metric export every 5 s
    # would count the machine's load, not the requests. Spans leave in full batches, and the
    # driver's final flush sends the rest and one metric export.
    env = {**_spec(stack, variant).env, **_UNTIMED, **extra}
    counted = instructions.count(
        INPROC_APP[variant], options.counted_requests, env, stack.settings.data_dir / "logs"
    )
    return counted.per_request


def _switch_env(feature: str) -> dict[str, str]:
    variable = cv.ENV_TELEMETRY_ON if feature in SHIPPED_OFF else cv.ENV_TELEMETRY_OFF
    return {variable: feature}


def _instruction_counts(
    stack: BenchStack, options: OverheadOptions, report: Report
) -> tuple[dict[str, float], dict[str, float]]:
    per_request: dict[str, float] = {}
    for variant in cmp.ORDER:
        report(f"callgrind, {variant}: {options.counted_requests} requests in process")
        per_request[variant] = _count(stack, variant, {}, options)
        report(f"  {per_request[variant]:,.0f} instructions per request")
    switched: dict[str, float] = {}
    for feature in FEATURES if options.features else ():
        report(f"callgrind, {cmp.ON} with {feature} switched")
        switched[feature] = _count(stack, cmp.ON, _switch_env(feature), options)
        report(f"  {switched[feature]:,.0f} instructions per request")
    return per_request, switched


def _round_one_rows(first: dict[str, dict[str, Phase]], options: OverheadOptions) -> list[Row]:
    on, off = first[cmp.ON]["fixed"], first[cmp.OFF]["fixed"]
    sampled, down = first[SAMPLED], first[DOWN]["fixed"].load
    sat_off = first[cmp.OFF]["saturated"].load.rate
    return [
        Row(
            "throughput lost at saturation, 10% sampled",
            100.0 * cmp.loss(sat_off, sampled["saturated"].load.rate),
            "%",
            TARGET_THROUGHPUT_LOSS_PCT,
        ),
        Row(
            "added p50 latency",
            on.load.p50_ms - off.load.p50_ms,
            "ms",
            note=f"at {options.rate:.0f} req/s",
        ),
        Row("added p50 latency, collector down", down.p50_ms - on.load.p50_ms, "ms", note="vs up"),
        Row("added p99 latency, collector down", down.p99_ms - on.load.p99_ms, "ms", note="vs up"),
    ]


def run(options: OverheadOptions, report: Report) -> ScenarioResult:
    out = ScenarioResult("overhead")
    with bench_stack(report=report) as stack:
        first, rounds = _saturation_rounds(stack, options, report)
        per_request: dict[str, float] = {}
        switched: dict[str, float] = {}
        if options.counted_requests > 0:
            per_request, switched = _instruction_counts(stack, options, report)
    for variant, phases in first.items():
        out.add(*_rows(variant, phases))
    out.add(*cmp.round_rows(rounds), *_round_one_rows(first, options))
    out.add(*cmp.instruction_rows(per_request))
    if switched:
        out.add(*cmp.feature_rows(per_request[cmp.ON], switched))
    out.add(*cmp.summary_rows(rounds))
    out.details = {
        v: {p: dataclasses.asdict(ph) for p, ph in phases.items()} for v, phases in first.items()
    }
    out.details["rounds"] = [{v: dataclasses.asdict(s) for v, s in r.runs.items()} for r in rounds]
    out.details["instructions_per_request"] = per_request
    out.details["instructions_per_request_switched"] = switched
    out.details["path"] = options.path
    return out
