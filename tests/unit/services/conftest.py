"""Fixtures for the shop services: in-memory telemetry, a backend on a fresh SQLite file, and
a frontend that reaches that backend in-process (W3C trace context included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from shop_support import ADMIN_TOKEN, Signals, TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from kansoku.services import telemetry
from kansoku.services.backend.app import create_app as create_backend
from kansoku.services.backend.db import make_engine
from kansoku.services.frontend.app import create_app as create_frontend


class OwnProcess:
    """Runs an ASGI app in an empty OpenTelemetry context, as if it were another process.

    In-process, the caller's current span would otherwise leak into the backend through
    contextvars; this way the backend only learns the trace from the ``traceparent`` header.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = otel_context.attach(otel_context.Context())
        try:
            await self.app(scope, receive, send)
        finally:
            otel_context.detach(token)


@pytest.fixture
def signals() -> Iterator[Signals]:
    spans = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    logs = InMemoryLogRecordExporter()
    tel = telemetry.setup(
        "shop-test",
        span_processor=SimpleSpanProcessor(spans),
        metric_reader=reader,
        log_exporter=logs,
        install_global=False,
        runtime_metrics=False,
    )
    yield Signals(tel, spans, reader, logs)
    tel.shutdown(1.0)


@pytest.fixture
def backend_app(tmp_path: Path, signals: Signals) -> FastAPI:
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    return create_backend(engine, signals.telemetry, admin_token=ADMIN_TOKEN)


@pytest.fixture
def backend(backend_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(backend_app) as client:
        yield client


@pytest.fixture
def frontend(backend_app: FastAPI, signals: Signals) -> Iterator[TestClient]:
    app = create_frontend(
        "http://shop-backend",
        signals.telemetry,
        admin_token=ADMIN_TOKEN,
        transport=httpx.ASGITransport(app=OwnProcess(backend_app)),
    )
    with TestClient(app) as client:
        yield client
