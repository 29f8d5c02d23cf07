"""shop-frontend's FastAPI application: pages, error pages, health, faults, telemetry."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kansoku import conventions
from kansoku.services import faults, web
from kansoku.services.frontend import pages
from kansoku.services.frontend.backend_client import BackendClient
from kansoku.services.telemetry import Telemetry

_log = logging.getLogger(__name__)


def create_app(
    backend_url: str,
    telemetry: Telemetry,
    *,
    fault_table: faults.FaultTable | None = None,
    admin_token: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The frontend calling the backend at ``backend_url`` (through ``transport`` in tests)."""
    backend = BackendClient(backend_url, telemetry, transport=transport)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await backend.aclose()

    app = web.new_app(
        conventions.SHOP_FRONTEND,
        "The shop's web pages.",
        fault_table or faults.FaultTable({}),
        admin_token,
    )
    app.router.lifespan_context = lifespan
    app.state.backend = backend
    app.include_router(pages.router)

    async def error_page(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException):
            status, detail = exc.status_code, str(exc.detail)
        else:
            status, detail = 502, "the shop is having trouble right now; please try again"
        return pages.templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "detail": detail},
            status_code=status,
            headers=getattr(exc, "headers", None),
        )

    app.add_exception_handler(StarletteHTTPException, error_page)
    app.add_exception_handler(pages.BackendError, error_page)

    async def always_ready() -> bool:
        # Ready as soon as it serves: a backend outage shows as 502 pages (and in the SLIs),
        # not as a frontend taken out of rotation.
        return True

    web.add_health(app, always_ready)
    web.instrument(app, telemetry, server_metrics=False)
    return app
