"""docs/telemetry.md names exactly what the conventions module defines."""

from __future__ import annotations

from pathlib import Path

import pytest

from kansoku import conventions

DOC = (Path(__file__).resolve().parents[3] / "docs" / "telemetry.md").read_text()
SERVICE_VARIABLES = [
    conventions.ENV_BIND_ADDRESS,
    conventions.ENV_DATA_DIR,
    conventions.ENV_DATABASE_URL,
    conventions.ENV_SHOP_BACKEND_URL,
    conventions.ENV_SHOP_FRONTEND_URL,
    conventions.ENV_ADMIN_TOKEN,
    conventions.ENV_FAULT_ERROR_RATE,
    conventions.ENV_FAULT_LATENCY_MS,
    conventions.ENV_LOG_LEVEL,
    conventions.ENV_LOADGEN_USERS,
    conventions.ENV_LOADGEN_SPAWN_RATE,
    conventions.ENV_LOADGEN_THINK_SECONDS,
    conventions.ENV_LOADGEN_RUN_SECONDS,
    conventions.PORTS_BY_KEY[conventions.SHOP_BACKEND].env,
    conventions.PORTS_BY_KEY[conventions.SHOP_FRONTEND].env,
]


@pytest.mark.parametrize("metric", conventions.METRICS, ids=lambda m: m.otel_name)
def test_every_custom_metric_is_documented_with_its_prometheus_series(
    metric: conventions.Metric,
) -> None:
    [row] = [ln for ln in DOC.splitlines() if ln.startswith(f"| `{metric.otel_name}` |")]
    assert f"`{metric.prometheus_name}" in row
    assert f"`{metric.unit}`" in row
    assert metric.service in row


def test_every_label_of_the_custom_metrics_is_documented() -> None:
    for label in (
        conventions.LABEL_SERVICE,
        conventions.LABEL_ROUTE,
        conventions.LABEL_METHOD,
        conventions.LABEL_STATUS,
        conventions.LABEL_ERROR_TYPE,
    ):
        assert f"`{label}`" in DOC


@pytest.mark.parametrize("variable", SERVICE_VARIABLES)
def test_every_variable_of_the_services_is_documented(variable: str) -> None:
    assert f"`{variable}`" in DOC


def test_the_documented_buckets_are_the_configured_ones() -> None:
    listed = ", ".join(f"{b:g}" for b in conventions.DURATION_BUCKETS_SECONDS)
    assert f"`{listed}`" in DOC
