"""``kansoku bench``: measure capacity, instrumentation overhead, footprint and start-up.

Every scenario starts its own stack on free ports in a temporary data dir, prints progress to
stderr, a table to stdout, and writes JSON with ``--output``. Targets are shown beside each
figure; a missed target is reported, never turned into a failure exit.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from kansoku.bench import (
    capacity,
    clusterfigures,
    footprint,
    overhead,
    plot,
    rampreport,
    ramprun,
    startup,
    tracestore,
)
from kansoku.bench.ramp import DEFAULT_MULTIPLIERS, PHASES, SIGNALS, Rates, plan
from kansoku.bench.report import ScenarioResult, write_json
from kansoku.errors import KansokuError

Runner = Callable[[float | None], ScenarioResult]


def _progress(message: str) -> None:
    click.echo(f"[{time.strftime('%H:%M:%S')}] {message}", err=True)


def _run(runners: list[tuple[str, Runner]], duration: float | None, output: Path | None) -> None:
    results = []
    try:
        for name, runner in runners:
            _progress(f"scenario {name}")
            started = time.monotonic()
            result = runner(duration)
            result.seconds = time.monotonic() - started
            results.append(result)
            click.echo(result.table() + "\n")
    except KansokuError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    finally:
        if output is not None and results:
            write_json(output, results, ["kansoku", "bench", *sys.argv[2:]])
            _progress(f"wrote {output}")


def _capacity(duration: float | None) -> ScenarioResult:
    opts = capacity.CapacityOptions()
    if duration is not None:
        opts = capacity.CapacityOptions(duration=duration, ceiling_seconds=min(10.0, duration))
    return capacity.run(opts, _progress)


def _overhead(duration: float | None) -> ScenarioResult:
    opts = overhead.OverheadOptions() if duration is None else overhead.OverheadOptions(duration)
    return overhead.run(opts, _progress)


def _footprint(duration: float | None) -> ScenarioResult:
    opts = (
        footprint.FootprintOptions() if duration is None else footprint.FootprintOptions(duration)
    )
    return footprint.run(opts, _progress)


def _startup(duration: float | None) -> ScenarioResult:
    # Start-up is timed by rounds, not by a duration; a short duration means fewer rounds.
    rounds = 3 if duration is None or duration >= 30 else 1
    return startup.run(startup.StartupOptions(rounds=rounds), _progress)


SCENARIOS: dict[str, Runner] = {
    "capacity": _capacity,
    "overhead": _overhead,
    "footprint": _footprint,
    "startup": _startup,
}

duration_option = click.option(
    "--duration",
    type=click.FloatRange(min=5.0, max=3600.0),
    default=None,
    help="Seconds of load per phase [default: capacity 60, overhead 30, footprint 30].",
)
output_option = click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the results as JSON to this file.",
)


@click.group()
def bench() -> None:
    """Measure the stack on this machine; each scenario runs its own stack on free ports."""


def _scenario_command(name: str, runner: Runner, help_text: str) -> click.Command:
    @duration_option
    @output_option
    def command(duration: float | None, output: Path | None) -> None:
        _run([(name, runner)], duration, output)

    command.__doc__ = help_text
    return click.command(name)(command)


for _name, _help in (
    ("footprint", "RSS of every component, idle and under load."),
    ("startup", "kansoku up to ready, and a request's trace to queryable in Jaeger."),
):
    bench.add_command(_scenario_command(_name, SCENARIOS[_name], _help))


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected numbers separated by commas") from None


def _rate(name: str, help_text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(name, type=click.FloatRange(min=0.0, max=1e7), default=None, help=help_text)


@bench.command("capacity")
@duration_option
@output_option
@_rate("--spans-per-second", "Spans/s [default: 10,000; with --ramp the mix: 20,000].")
@_rate("--points-per-second", "Points/s [default: 10,000; with --ramp the mix: 20,000].")
@_rate("--logs-per-second", "Log records/s [default: 10,000; with --ramp the mix: 10,000].")
@click.option(
    "--ramp",
    is_flag=True,
    help="Step the load up, each signal alone then the three mixed, to the first step that "
    "loses data or falls behind; report the highest zero-loss step and the limit.",
)
@click.option(
    "--multipliers",
    default=",".join(f"{m:g}" for m in DEFAULT_MULTIPLIERS),
    show_default=True,
    help="With --ramp: the steps, as multiples of the rates.",
)
@click.option(
    "--phases",
    default=",".join(PHASES),
    show_default=True,
    help="With --ramp: the phases to run (always in the order of the default).",
)
@click.option(
    "--step-seconds",
    type=click.FloatRange(min=5.0, max=600.0),
    default=ramprun.RampOptions.step_seconds,
    show_default=True,
    help="With --ramp: seconds of load per step.",
)
@click.option(
    "--warmup-seconds",
    type=click.FloatRange(min=0.0, max=300.0),
    default=ramprun.RampOptions.warmup_seconds,
    show_default=True,
    help="With --ramp: first seconds of each step left out of the CPU and RSS figures.",
)
@click.option(
    "--jaeger-storage",
    type=click.Choice(["memory", "opensearch"]),
    default="memory",
    show_default=True,
    help="opensearch: spans only (--spans-per-second, default 5,000), stored with zero loss on "
    "OpenSearch beside memory storage, with Jaeger's and OpenSearch's CPU and RSS.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --ramp: also draw the cost curve to this PNG (needs --output).",
)
def bench_capacity(
    duration: float | None,
    output: Path | None,
    spans_per_second: float | None,
    points_per_second: float | None,
    logs_per_second: float | None,
    ramp: bool,
    multipliers: str,
    phases: str,
    step_seconds: float,
    warmup_seconds: float,
    jaeger_storage: str,
    plot_path: Path | None,
) -> None:
    """Spans/s, points/s and log records/s end to end, sent vs stored; with --ramp, the
    zero-loss ceiling of each signal and of the mix, the limit, and the cost per step."""
    if jaeger_storage != "memory":
        if ramp:
            raise click.UsageError("--ramp steps all three signals; --jaeger-storage is spans only")
        _trace_store(jaeger_storage, duration, spans_per_second, output)
        return
    given = (spans_per_second, points_per_second, logs_per_second)
    if not ramp:
        rates = [g if g is not None else capacity.TARGET_RATE for g in given]
        opts = capacity.CapacityOptions(
            spans_per_second=rates[0], points_per_second=rates[1], logs_per_second=rates[2]
        )
        if duration is not None:
            opts = dataclasses.replace(opts, duration=duration, ceiling_seconds=min(10.0, duration))
        _run([("capacity", lambda _d: capacity.run(opts, _progress))], duration, output)
        return
    if plot_path is not None and output is None:
        raise click.UsageError("--plot draws from the JSON, so it needs --output")
    goal = ramprun.GOAL
    mix = Rates(*[g if g is not None else goal.of(s) for g, s in zip(given, SIGNALS, strict=True)])
    try:
        options = ramprun.RampOptions(
            mix=mix,
            multipliers=_floats(multipliers),
            phases=tuple(p.strip() for p in phases.split(",")),
            step_seconds=step_seconds,
            warmup_seconds=min(warmup_seconds, step_seconds / 2),
        )
        plan(options.mix, options.multipliers, options.phases)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None

    def runner(_d: float | None) -> ScenarioResult:
        return rampreport.result(ramprun.run(options, _progress))

    _run([("capacity-ramp", runner)], None, output)
    if plot_path is not None and output is not None:
        _progress(f"wrote {plot.draw(plot.load_ramp(output), plot_path)}")


def _trace_store(
    storage: str, duration: float | None, spans_per_second: float | None, output: Path | None
) -> None:
    opts = tracestore.TraceStoreOptions(storage=storage)
    if duration is not None:
        opts = dataclasses.replace(opts, duration=duration)
    if spans_per_second is not None:
        opts = dataclasses.replace(opts, spans_per_second=spans_per_second)
    _run([("capacity-traces", lambda _d: tracestore.run(opts, _progress))], duration, output)


@bench.command("plot")
@click.argument("ramp_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("png", type=click.Path(dir_okay=False, path_type=Path))
def bench_plot(ramp_json: Path, png: Path) -> None:
    """Draw the cost curve of a `capacity --ramp` JSON file to a PNG."""
    try:
        plot.draw(plot.load_ramp(ramp_json), png)
    except KansokuError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    click.echo(f"wrote {png}")


@bench.command("overhead")
@duration_option
@output_option
@click.option(
    "--rounds",
    type=click.IntRange(min=1, max=20),
    default=overhead.OverheadOptions.rounds,
    show_default=True,
    help="Saturation rounds of the four compared variants, run in turn so drift shows.",
)
@click.option(
    "--counted-requests",
    type=click.IntRange(min=0, max=100_000),
    default=overhead.OverheadOptions.counted_requests,
    show_default=True,
    help="Requests per variant counted in process under callgrind (0: no instruction counts).",
)
@click.option(
    "--features",
    is_flag=True,
    help="Also count shop-backend with each telemetry feature switched (about 3 min each).",
)
def bench_overhead(
    duration: float | None,
    output: Path | None,
    rounds: int,
    counted_requests: int,
    features: bool,
) -> None:
    """shop-backend's instrumentation cost as a ratio to the stock FastAPI instrumentation's."""
    opts = overhead.OverheadOptions(
        rounds=rounds, counted_requests=counted_requests, features=features
    )
    if duration is not None:
        opts = dataclasses.replace(opts, duration=duration)
    _run([("overhead", lambda _d: overhead.run(opts, _progress))], duration, output)


@bench.command("all")
@duration_option
@output_option
def bench_all(duration: float | None, output: Path | None) -> None:
    """Every scenario in turn (about 10 minutes with the default durations)."""
    _run(list(SCENARIOS.items()), duration, output)


@bench.command("cluster")
@click.option(
    "--kubeconfig",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Of the running real node (its API server on 127.0.0.0/8), images imported.",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=60.0, max=3600.0),
    default=clusterfigures.ClusterOptions.duration,
    show_default=True,
    help="Seconds of load (OTLP spans from a pod, the shop's beside); the HPA is watched.",
)
@output_option
def bench_cluster(kubeconfig: Path, duration: float, output: Path | None) -> None:
    """The dev overlay less Grafana on the real node: apply to all Ready, each container's
    working set idle and under load against its request and limit, the HPA's reaction."""
    opts = clusterfigures.ClusterOptions(kubeconfig, duration=duration)
    _run([("cluster", lambda _d: clusterfigures.run(opts, _progress))], duration, output)
