"""The reference the overhead bench compares kansoku's instrumentation with.

A bare FastAPI endpoint shaped like shop-backend's ``GET /api/products/{product_id}`` (a sync
handler answering a small JSON object, no database), run either uninstrumented or with the
stock ``opentelemetry-instrumentation-fastapi`` at its defaults: ``instrument_app(app)`` with
no options (a server span plus its ASGI receive/send spans, the instrumentation's default
metrics), an SDK tracer provider with a batch span processor and a periodic metric reader, both
exporting OTLP/gRPC as the standard ``OTEL_*`` variables say. That is what a FastAPI service
gets from the OpenTelemetry documentation's set-up, and what "the stock instrumentation" means
in ``docs/performance.md``.

``python -m kansoku.bench.reference`` serves it; ``KANSOKU_BENCH_REFERENCE`` is ``bare`` or
``stock``, the port is shop-backend's (the bench runs it in that slot).
"""

from __future__ import annotations

import os
from typing import Literal

from fastapi import FastAPI

from kansoku import conventions
from kansoku.errors import ConfigError

ENV_MODE = "KANSOKU_BENCH_REFERENCE"
Mode = Literal["bare", "stock"]
MODES: tuple[Mode, ...] = ("bare", "stock")
_PRODUCT = {
    "sku": "SKU-0001",
    "name": "Reference product",
    "description": "A fixed answer: the endpoint costs what FastAPI costs",
    "price_cents": 1999,
    "stock": 100,
}


def create_app() -> FastAPI:
    """The bare app: one product endpoint and the readiness path."""
    app = FastAPI(title="reference")

    @app.get("/api/products/{product_id}")
    def product(product_id: int) -> dict[str, object]:
        return {"id": product_id, **_PRODUCT}

    @app.get(conventions.HEALTH_PATH, include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def instrument_stock(app: FastAPI) -> None:
    """The stock SDK set-up and FastAPI instrumentation at their defaults."""
    from opentelemetry import metrics, trace
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter())
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    FastAPIInstrumentor.instrument_app(app)


def mode_from_env() -> Mode:
    raw = os.environ.get(ENV_MODE, "bare").strip()
    for mode in MODES:
        if raw == mode:
            return mode
    raise ConfigError("environment", ENV_MODE, f"one of {', '.join(MODES)}, got {raw!r}")


def build(mode: Mode) -> FastAPI:
    app = create_app()
    if mode == "stock":
        instrument_stock(app)
    return app


def main() -> None:
    import uvicorn

    from kansoku.services.settings import ServiceSettings

    settings = ServiceSettings.from_env(conventions.SHOP_BACKEND)
    uvicorn.run(
        build(mode_from_env()),
        host=settings.bind_address,
        port=settings.port,
        log_config=None,
        access_log=False,  # as shop-backend: no line per request
        server_header=False,
    )


if __name__ == "__main__":
    main()
