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

from kansoku.bench import capacity, clusterfigures, footprint, overhead, startup, tracestore
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


@bench.command("capacity")
@duration_option
@output_option
@click.option(
    "--jaeger-storage",
    type=click.Choice(["memory", "opensearch"]),
    default="memory",
    show_default=True,
    help="opensearch: spans only, stored with zero loss on OpenSearch beside memory storage, "
    "with Jaeger's and OpenSearch's CPU and RSS.",
)
def capacity_command(duration: float | None, output: Path | None, jaeger_storage: str) -> None:
    """Spans/s, points/s and log records/s end to end, sent vs stored; collector and
    VictoriaLogs CPU and RSS."""
    if jaeger_storage == "memory":
        _run([("capacity", _capacity)], duration, output)
        return

    def traces(duration: float | None) -> ScenarioResult:
        opts = tracestore.TraceStoreOptions(storage=jaeger_storage)
        if duration is not None:
            opts = dataclasses.replace(opts, duration=duration)
        return tracestore.run(opts, _progress)

    _run([("capacity-traces", traces)], duration, output)


for _name, _help in (
    ("footprint", "RSS of every component, idle and under load."),
    ("startup", "kansoku up to ready, and a request's trace to queryable in Jaeger."),
):
    bench.add_command(_scenario_command(_name, SCENARIOS[_name], _help))


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
    help="Seconds of the shop's load; the collector's HPA is watched meanwhile.",
)
@output_option
def bench_cluster(kubeconfig: Path, duration: float, output: Path | None) -> None:
    """The dev overlay less Grafana on the real node: apply to all Ready, each container's
    working set idle and under load against its request and limit, the HPA's reaction."""
    opts = clusterfigures.ClusterOptions(kubeconfig, duration=duration)
    _run([("cluster", lambda _d: clusterfigures.run(opts, _progress))], duration, output)
