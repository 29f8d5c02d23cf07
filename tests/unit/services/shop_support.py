"""Helpers shared by the shop services' unit tests (imported by the conftest and the tests)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, Metric
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette deprecates its test client on httpx in favour of httpx2, which the lock does not
    # carry; the client works unchanged. Only this import-time warning is silenced.
    warnings.filterwarnings(
        "ignore",
        message="Using `httpx` with `starlette.testclient` is deprecated",
        category=StarletteDeprecationWarning,
    )
    from fastapi.testclient import TestClient

from kansoku import conventions
from kansoku.services import faults, telemetry
from kansoku.services.backend.app import create_app as create_backend
from kansoku.services.backend.db import make_engine

__all__ = ["ADMIN_TOKEN", "Signals", "TestClient", "backend_with_faults"]

ADMIN_TOKEN = "test-admin-token"


@dataclass
class Signals:
    """One service's telemetry, kept in memory."""

    telemetry: telemetry.Telemetry
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader
    logs: InMemoryLogRecordExporter

    def finished_spans(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def finished_logs(self) -> list[ReadableLogRecord]:
        assert self.telemetry.logger_provider is not None
        self.telemetry.logger_provider.force_flush()
        return list(self.logs.get_finished_logs())

    def metrics(self) -> list[tuple[str, Metric]]:
        """Every metric collected now, with the name of its instrumentation scope."""
        data = self.reader.get_metrics_data()
        if data is None:
            return []
        return [
            (scope.scope.name, metric)
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
        ]

    def metric(self, name: str, scope: str = conventions.METER_NAME) -> Metric:
        found = [m for s, m in self.metrics() if m.name == name and s == scope]
        assert found, f"no metric {name} from {scope}; have {[m.name for _, m in self.metrics()]}"
        return found[0]

    def points(self, name: str, **attributes: Any) -> list[Any]:
        """Data points of our metric ``name`` whose attributes include ``attributes``."""
        return [
            p
            for p in self.metric(name).data.data_points
            if all(dict(p.attributes or {}).get(k) == v for k, v in attributes.items())
        ]


def backend_with_faults(
    tmp_path: Path, signals: Signals, env: dict[str, str], token: str | None = ADMIN_TOKEN
) -> TestClient:
    engine = make_engine(f"sqlite:///{tmp_path / 'faulty.db'}")
    app = create_backend(
        engine, signals.telemetry, fault_table=faults.FaultTable.from_env(env), admin_token=token
    )
    return TestClient(app)
