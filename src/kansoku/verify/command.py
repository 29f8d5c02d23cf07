"""``kansoku verify``: end-to-end check of a running stack, local or anywhere else."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import KansokuError, VerifyError
from kansoku.stack import state as st
from kansoku.stack.table import render
from kansoku.verify.checks import CheckResult, Targets, run_all
from kansoku.verify.services import run_shop_checks


def local_targets(data_dir: Path) -> Targets:
    """Targets of the local stack running under ``data_dir``."""
    return _targets_of(st.running(data_dir))


def local_frontend(data_dir: Path) -> str | None:
    """The shop frontend's URL when the local stack runs the shop services."""
    current = st.running(data_dir)
    return current.url("shop-frontend") if cv.SHOP_FRONTEND in current.components else None


def _targets_of(current: st.StackState) -> Targets:
    return Targets(
        prometheus_url=current.url("prometheus"),
        jaeger_url=current.url("jaeger-query"),
        otlp_endpoint=current.url("otlp-grpc").removeprefix("http://"),
        collector_health_url=current.url("collector-health") + "/",
        collector_metrics_url=current.url("collector-metrics") + "/metrics",
        victorialogs_url=current.url("victorialogs"),
        opensearch_url=current.url("opensearch") if cv.OPENSEARCH in current.components else None,
    )


def results_table(results: list[CheckResult]) -> str:
    rows = [
        [
            "skip" if r.skipped else ("ok" if r.ok else "FAIL"),
            r.name,
            f"{r.seconds:.1f}s",
            r.detail.replace("\n", " ")[:160],
        ]
        for r in results
    ]
    return render(["result", "check", "took", "detail"], rows)


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Verify the local stack running under this data dir (the default).",
)
@click.option("--prometheus-url", help="Prometheus base URL, e.g. http://127.0.0.1:9090.")
@click.option("--jaeger-url", help="Jaeger query base URL, e.g. http://127.0.0.1:16686.")
@click.option("--otlp-endpoint", help="Collector OTLP gRPC endpoint, e.g. 127.0.0.1:4317.")
@click.option("--collector-health-url", help="Collector health check URL.")
@click.option("--collector-metrics-url", help="Collector's own metrics URL (…:8888/metrics).")
@click.option(
    "--victorialogs-url",
    help="VictoriaLogs base URL, e.g. http://127.0.0.1:9428 (the log is looked up by trace id).",
)
@click.option(
    "--shop-url",
    help="Also check the shop services through this frontend URL "
    "(the local stack's frontend by default, when it runs one).",
)
@click.option(
    "--timeout", default=60.0, show_default=True, help="Seconds to wait for each signal to arrive."
)
def verify(
    data_dir: Path | None,
    prometheus_url: str | None,
    jaeger_url: str | None,
    otlp_endpoint: str | None,
    collector_health_url: str | None,
    collector_metrics_url: str | None,
    victorialogs_url: str | None,
    shop_url: str | None,
    timeout: float,
) -> None:
    """Send a tagged trace, metric and log through the collector and find each one.

    Without URLs it checks the local stack; with --prometheus-url, --jaeger-url and
    --otlp-endpoint it checks any stack (e.g. a cluster through kubectl port-forward).
    Exits 5 when any check fails.
    """
    try:
        if prometheus_url or jaeger_url or otlp_endpoint:
            if not (prometheus_url and jaeger_url and otlp_endpoint):
                raise VerifyError("--prometheus-url, --jaeger-url and --otlp-endpoint go together")
            targets = Targets(
                prometheus_url,
                jaeger_url,
                otlp_endpoint,
                collector_health_url,
                collector_metrics_url,
                victorialogs_url,
            )
        else:
            local = (data_dir or locations.default_data_dir()).resolve()
            targets = local_targets(local)
            shop_url = shop_url or local_frontend(local)
        results = run_all(targets, timeout=timeout)
        if shop_url:
            results += run_shop_checks(targets, shop_url, timeout=timeout)
    except KansokuError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    click.echo(results_table(results))
    failed = [r for r in results if not r.ok]
    if failed:
        click.echo(f"\n{len(failed)} of {len(results)} checks failed", err=True)
        sys.exit(VerifyError.exit_code)
    click.echo(f"\nall {len(results)} checks passed")
