"""The per-feature telemetry switches the overhead bench uses: read, checked, and obeyed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from shop_support import Signals, TestClient

from kansoku import conventions
from kansoku.errors import ConfigError
from kansoku.services import telemetry
from kansoku.services import telemetry_features as tf
from kansoku.services.backend.app import create_app as create_backend
from kansoku.services.backend.db import make_engine


def test_telemetry_feature_switches_are_read_and_checked() -> None:
    default = tf.from_env({})
    assert not default.enabled("asgi-spans")
    assert all(default.enabled(f) for f in tf.FEATURES if f not in tf.SHIPPED_OFF)
    switched = tf.from_env(
        {
            conventions.ENV_TELEMETRY_OFF: "statement-span, exemplars",
            conventions.ENV_TELEMETRY_ON: "asgi-spans",
        }
    )
    assert switched.off == {"statement-span", "exemplars"}
    with pytest.raises(ConfigError, match=r"KANSOKU_TELEMETRY_OFF.*got statement-spans"):
        tf.from_env({conventions.ENV_TELEMETRY_OFF: "statement-spans"})
    with pytest.raises(KeyError):
        default.enabled("no-such-feature")


def _our_metric_names(reader: InMemoryMetricReader) -> set[str]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        m.name
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        if sm.scope.name == conventions.METER_NAME
        for m in sm.metrics
        if m.name.startswith("http.")
    }


@pytest.mark.parametrize(
    ("off", "spans", "metrics"),
    [
        ("", ["SELECT", "GET /api/products/{product_id}"], {"requests", "duration", "active"}),
        (
            "statement-span,duration-histogram",
            ["GET /api/products/{product_id}"],
            {"requests", "active"},
        ),
        ("server-span,requests-counter,active-connections", ["SELECT"], {"duration"}),
    ],
)
def test_a_switched_off_feature_is_absent_and_the_rest_stays(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    off: str,
    spans: list[str],
    metrics: set[str],
) -> None:
    monkeypatch.setenv(conventions.ENV_TELEMETRY_OFF, off)
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tel = telemetry.setup(
        "shop-test",
        span_processor=SimpleSpanProcessor(exporter),
        metric_reader=reader,
        install_global=False,
        runtime_metrics=False,
    )
    app = create_backend(make_engine(f"sqlite:///{tmp_path / 'shop.db'}"), tel)
    with TestClient(app) as client:
        exporter.clear()  # the schema's and seed's statements
        assert client.get("/api/products/1").status_code == 200
    names = [s.name for s in exporter.get_finished_spans()]
    assert [n.split()[0] if n.startswith("SELECT") else n for n in names] == spans
    # Each of ours, and the copy under its stable name where it has one (telemetry.views).
    short = {
        "requests": {"http.server.requests"},
        "duration": {"http.server.duration", "http.server.request.duration"},
        "active": {"http.server.active_connections", "http.server.active_requests"},
    }
    assert _our_metric_names(reader) == set().union(*(short[m] for m in metrics))
    tel.shutdown(1.0)


def test_backend_records_one_set_of_server_metrics_under_both_names(
    backend: TestClient, signals: Signals
) -> None:
    for _ in range(3):
        assert backend.get("/api/products/1").status_code == 200
    by_scope = signals.metrics()
    fastapi_scopes = {s for s, m in by_scope if m.name.startswith("http.server.")} - {
        conventions.METER_NAME
    }
    assert fastapi_scopes == set(), "the FastAPI instrumentation recorded a second set"
    ours = {m.name: m for s, m in by_scope if s == conventions.METER_NAME}
    [stable] = ours["http.server.request.duration"].data.data_points
    [custom] = ours["http.server.duration"].data.data_points
    assert stable.count == custom.count == 3
    assert tuple(stable.explicit_bounds) == conventions.DURATION_BUCKETS_SECONDS
    assert dict(stable.attributes or {})[conventions.ATTR_STATUS] == 200
    assert stable.exemplars  # a link to one request's trace
    assert stable.exemplars[0].trace_id
    [active] = ours["http.server.active_requests"].data.data_points
    assert active.value == 0
    # Only the histograms keep exemplars: no dashboard reads one from a sum.
    [requests] = ours["http.server.requests"].data.data_points
    assert requests.exemplars == []
    assert active.exemplars == []
    assert custom.exemplars
    assert "http.server.active_connections" in ours


def test_frontend_keeps_the_instrumentations_stable_server_metrics(
    frontend: TestClient, signals: Signals
) -> None:
    assert frontend.get("/").status_code == 200
    stable = {
        s
        for s, m in signals.metrics()
        if m.name == "http.server.request.duration" and s != conventions.METER_NAME
    }
    assert stable == {"opentelemetry.instrumentation.fastapi"}


def test_pool_usage_is_observed_without_a_measurement_per_checkout(
    backend: TestClient, signals: Signals, backend_app: FastAPI
) -> None:
    assert backend.get("/api/products/1").status_code == 200
    assert not [
        s
        for s, m in signals.metrics()
        if m.name == "db.client.connections.usage" and s != conventions.METER_NAME
    ]
    [used] = signals.points("db.client.connections.usage", state="used")
    [idle] = signals.points("db.client.connections.usage", state="idle")
    assert used.value == 0  # every session of the request has given its connection back
    assert idle.value >= 1
    assert dict(used.attributes or {})["pool.name"].startswith("sqlite")
    with backend_app.state.sessions() as session:
        session.connection()  # one connection checked out while metrics are collected
        [used] = signals.points("db.client.connections.usage", state="used")
        assert used.value == 1
