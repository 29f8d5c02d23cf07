"""The custom server metrics of ``conventions.METRICS``, recorded by a plain ASGI middleware.

Attributes are bounded: the route template (``/api/products/{product_id}``, never the raw
path), the method (unknown methods collapse to ``_OTHER``) and the status code. The duration is
recorded while the server span is still current, so the trace-based exemplar filter attaches
the request's trace id to the histogram point.
"""

from __future__ import annotations

import time
from collections.abc import Collection

from opentelemetry import metrics
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kansoku import conventions
from kansoku.services.telemetry_features import Features

_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
)
_M = conventions.METRICS_BY_OTEL_NAME


def bounded_method(method: str) -> str:
    """The method as an attribute value: a known method, else ``_OTHER`` (semconv)."""
    return method if method in _KNOWN_METHODS else "_OTHER"


def route_template(scope: Scope) -> str:
    """The template of the route that handled the request, set on the scope by routing."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else conventions.ROUTE_UNMATCHED


class ServerMetricsMiddleware:
    """Counts requests, times them and tracks how many are in flight."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        meter: metrics.Meter,
        excluded_paths: Collection[str] = (),
        features: Features | None = None,
    ) -> None:
        self.app = app
        self.excluded_paths = frozenset(excluded_paths)
        features = features or Features()
        # A switched-off metric (bench only) records into the API's no-op instrument.
        noop = metrics.NoOpMeter(conventions.METER_NAME)
        spec = _M["http.server.requests"]
        self.requests = (meter if features.enabled("requests-counter") else noop).create_counter(
            spec.otel_name, unit=spec.unit, description="HTTP requests served"
        )
        spec = _M["http.server.duration"]
        on = features.enabled("duration-histogram")
        self.duration = (meter if on else noop).create_histogram(
            spec.otel_name, unit=spec.unit, description="Time to serve an HTTP request"
        )
        spec = _M["http.server.active_connections"]
        on = features.enabled("active-connections")
        self.active = (meter if on else noop).create_up_down_counter(
            spec.otel_name, unit=spec.unit, description="HTTP requests in flight"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.excluded_paths:
            await self.app(scope, receive, send)
            return
        method = bounded_method(scope["method"])
        in_flight = {conventions.ATTR_METHOD: method}
        status = 500  # what the client gets if the app raises before answering
        start = time.perf_counter()

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.active.add(1, in_flight)
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            attributes: dict[str, str | int] = {
                conventions.ATTR_ROUTE: route_template(scope),
                conventions.ATTR_METHOD: method,
                conventions.ATTR_STATUS: status,
            }
            self.requests.add(1, attributes)
            self.duration.record(time.perf_counter() - start, attributes)
            self.active.add(-1, in_flight)
