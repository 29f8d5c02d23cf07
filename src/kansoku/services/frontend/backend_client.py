"""shop-frontend's client for the backend API, with the custom client metrics.

The httpx instrumentation makes a client span per call and injects the W3C ``traceparent``
header, so the backend's spans join the frontend's trace. ``http.client.requests`` and
``http.client.duration`` (seconds) are recorded per call with the backend's route template
(``/api/products/{product_id}``), never the concrete path; a call that got no response carries
``error.type`` instead of a status code.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from kansoku import conventions
from kansoku.services.http_metrics import bounded_method
from kansoku.services.telemetry import Telemetry

_M = conventions.METRICS_BY_OTEL_NAME
_TIMEOUT = httpx.Timeout(10.0, connect=2.0)  # above any latency the fault injector adds by default
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class BackendClient:
    """Calls ``route`` templates of the backend; ``params`` fill the template."""

    def __init__(
        self,
        base_url: str,
        telemetry: Telemetry,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=_TIMEOUT, limits=_LIMITS, transport=transport
        )
        if telemetry.enabled:
            HTTPXClientInstrumentor.instrument_client(
                self._client,
                tracer_provider=telemetry.tracer_provider,
                meter_provider=telemetry.meter_provider,
            )
        meter = telemetry.meter
        spec = _M["http.client.requests"]
        self._requests = meter.create_counter(
            spec.otel_name, unit=spec.unit, description="HTTP requests made to the backend"
        )
        spec = _M["http.client.duration"]
        self._duration = meter.create_histogram(
            spec.otel_name, unit=spec.unit, description="Time until the backend answered"
        )

    async def call(
        self, method: str, route: str, *, json: Any = None, **params: str | int
    ) -> httpx.Response:
        """One request to ``route`` (a template such as ``/api/carts/{cart_id}``)."""
        attributes: dict[str, str | int] = {
            conventions.ATTR_ROUTE: route,
            conventions.ATTR_METHOD: bounded_method(method),
        }
        start = time.perf_counter()
        try:
            response = await self._client.request(method, route.format(**params), json=json)
        except httpx.HTTPError as exc:
            attributes[conventions.ATTR_ERROR_TYPE] = type(exc).__name__
            raise
        else:
            attributes[conventions.ATTR_STATUS] = response.status_code
            return response
        finally:
            self._requests.add(1, attributes)
            self._duration.record(time.perf_counter() - start, attributes)

    async def aclose(self) -> None:
        await self._client.aclose()
