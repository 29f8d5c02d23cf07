"""shop-backend's FastAPI application, assembled from its parts."""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy.engine.base
from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kansoku import conventions
from kansoku.services import faults, web
from kansoku.services.backend import api, pool_metrics
from kansoku.services.backend.db import create_schema_and_seed
from kansoku.services.telemetry import Telemetry

_log = logging.getLogger(__name__)


def create_app(
    engine: Engine,
    telemetry: Telemetry,
    *,
    fault_table: faults.FaultTable | None = None,
    admin_token: str | None = None,
) -> FastAPI:
    """The backend on ``engine``; the schema and seed data are created here if missing."""
    instrument_engine(engine, telemetry)
    create_schema_and_seed(engine)
    app = web.new_app(
        conventions.SHOP_BACKEND,
        "The shop's JSON API: products, carts and orders.",
        fault_table or faults.FaultTable({}),
        admin_token,
    )
    sessions = sessionmaker(engine, expire_on_commit=False)
    app.state.sessions = sessions
    app.state.tracer = telemetry.tracer
    app.include_router(api.router)

    async def database_answers() -> bool:
        return await asyncio.to_thread(_ping, sessions)

    web.add_health(app, database_answers)
    web.instrument(app, telemetry, server_metrics=True)
    return app


def _ping(sessions: sessionmaker[Session]) -> bool:
    try:
        with sessions() as s:
            s.execute(text("SELECT 1"))
    except SQLAlchemyError:
        _log.exception("database is not answering")
        return False
    return True


def instrument_engine(engine: Engine, telemetry: Telemetry) -> None:
    """Spans for every statement on ``engine``, and nothing per connection checkout.

    The instrumentor is a process-wide singleton; a service has one engine, but tests build
    several, so a second engine re-instruments instead of being silently skipped. It also
    wraps ``Engine.connect`` with a "connect" span, one per session, i.e. per request: a third
    of the backend's spans, saying only that a pooled connection was handed out. That wrapper
    is taken off again, and its pool counter (four measurements per request) records into a
    no-op meter: ``db.client.connections.usage`` is observed from the pool at each
    collection instead (``pool_metrics``).
    """
    if not telemetry.enabled:
        return
    instrumentor = SQLAlchemyInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    features = telemetry.features
    instrumentor.instrument(
        # The instrumentation declares support below SQLAlchemy 2.1 only; the engine events it
        # hooks are unchanged in 2.1, and the unit tests prove the statement spans appear.
        skip_dep_check=True,
        engine=engine,
        tracer_provider=telemetry.tracer_provider
        if features.enabled("statement-span")
        else trace.NoOpTracerProvider(),
        meter_provider=metrics.NoOpMeterProvider(),  # the pool is observed instead, below
    )
    unwrap(sqlalchemy.engine.base.Engine, "connect")
    if features.enabled("pool-metrics"):
        pool_metrics.observe_pool(engine, telemetry.meter)
