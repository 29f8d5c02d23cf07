"""Switches for each telemetry feature of the shop services, so their cost can be measured.

``KANSOKU_TELEMETRY_OFF=statement-span,exemplars`` switches features off and
``KANSOKU_TELEMETRY_ON=asgi-spans`` switches on the one that ships off. Only ``kansoku bench
overhead`` sets them, to measure what each feature costs per request (docs/performance.md);
a deployment leaves them unset and gets every signal the dashboards, SLOs and alerts read.
A switched-off feature is replaced by the API's no-op tracer, meter or instrument, so the
code path around it stays the same.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from kansoku import conventions
from kansoku.errors import ConfigError

FEATURES: dict[str, str] = {
    "server-span": "the server span of every request (FastAPI instrumentation)",
    "asgi-spans": "the ASGI receive/send spans (shipped off)",
    "http-metrics": "http.server.request.duration and http.server.active_requests (the FastAPI "
    "instrumentation's on shop-frontend; on shop-backend copies of ours, by view)",
    "statement-span": "the span of every SQL statement (SQLAlchemy instrumentation)",
    "pool-metrics": "db.client.connections.usage (SQLAlchemy instrumentation)",
    "requests-counter": "http.server.requests",
    "duration-histogram": "http.server.duration",
    "active-connections": "http.server.active_connections",
    "exemplars": "trace-based exemplars on histogram points",
    "logs": "log records through the OpenTelemetry logging bridge",
    "runtime-metrics": "process.* and cpython.gc.* metrics",
    "exporters": "OTLP export of every signal (metrics still aggregated, never sent)",
}
SHIPPED_OFF = frozenset({"asgi-spans"})


@dataclass(frozen=True)
class Features:
    """Which telemetry features are switched off."""

    off: frozenset[str] = SHIPPED_OFF

    def enabled(self, name: str) -> bool:
        if name not in FEATURES:
            raise KeyError(name)
        return name not in self.off


def _names(env: Mapping[str, str], variable: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in env.get(variable, "").split(",") if n.strip())
    unknown = sorted(names - FEATURES.keys())
    if unknown:
        raise ConfigError(
            "environment", variable, f"names from {', '.join(FEATURES)}; got {', '.join(unknown)}"
        )
    return names


def from_env(environ: Mapping[str, str] | None = None) -> Features:
    """The switches in ``KANSOKU_TELEMETRY_OFF`` / ``_ON``, or a ``ConfigError`` naming them."""
    env = os.environ if environ is None else environ
    off = _names(env, conventions.ENV_TELEMETRY_OFF)
    on = _names(env, conventions.ENV_TELEMETRY_ON)
    return Features((SHIPPED_OFF | off) - on)
