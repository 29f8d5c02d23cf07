"""What both shop services' FastAPI apps share: health, faults, metrics, instrumentation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from kansoku import conventions
from kansoku.services import faults
from kansoku.services.http_metrics import ServerMetricsMiddleware
from kansoku.services.telemetry import Telemetry

_SOURCES = ("body", "query", "path", "header", "cookie")
HealthCheck = Callable[[], Awaitable[bool]]


def new_app(
    title: str, description: str, fault_table: faults.FaultTable, admin_token: str | None
) -> FastAPI:
    """An app whose every route goes through fault injection, with the admin endpoint."""
    app = FastAPI(
        title=title,
        description=description,
        version="1",
        dependencies=[Depends(faults.injector(fault_table))],
    )
    app.include_router(faults.admin_router(fault_table, admin_token))
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    return app


def add_health(app: FastAPI, ready: HealthCheck) -> None:
    """``GET /healthz``: 200 when ``ready()`` says so, else 503 (the readiness probe)."""

    @app.get(conventions.HEALTH_PATH, include_in_schema=False)
    async def healthz() -> JSONResponse:
        ok = await ready()
        return JSONResponse({"status": "ok" if ok else "unavailable"}, 200 if ok else 503)


def instrument(app: FastAPI, telemetry: Telemetry, *, server_metrics: bool) -> None:
    """Custom server metrics (optional) inside the OTel server span, health checks excluded."""
    if not telemetry.enabled:
        return
    if server_metrics:
        app.add_middleware(
            ServerMetricsMiddleware,
            meter=telemetry.meter,
            excluded_paths=(conventions.HEALTH_PATH,),
            features=telemetry.features,
        )
    features = telemetry.features
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=telemetry.tracer_provider
        if features.enabled("server-span")
        else trace.NoOpTracerProvider(),
        # Where our middleware records the server metrics, views publish them under the
        # instrumentation's stable names too (telemetry.views): no second set is recorded.
        meter_provider=telemetry.meter_provider
        if features.enabled("http-metrics") and not server_metrics
        else metrics.NoOpMeterProvider(),
        excluded_urls=conventions.HEALTH_PATH,
        # One span per request; the ASGI send/receive spans double the span rate for nothing.
        exclude_spans=None if features.enabled("asgi-spans") else ["receive", "send"],
    )


def field_of(loc: tuple[int | str, ...]) -> str:
    """``("body", "items", 0, "quantity")`` → ``items.0.quantity``; the source if nothing else."""
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in _SOURCES:
        parts = parts[1:]
    return ".".join(parts) or "request"


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    # The default body echoes the rejected input back; this one names the field and the rule.
    errors = [
        {"field": field_of(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "request", "message": "invalid"}
    body = {"detail": f"{first['field']}: {first['message']}", "errors": errors}
    return JSONResponse(jsonable_encoder(body), status_code=422)
