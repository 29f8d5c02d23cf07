"""The shop services and the load generator: our own Python programs, instrumented."""

from __future__ import annotations

import sys
from pathlib import Path

from kansoku import conventions as cv
from kansoku.stack.components.spec import ComponentSpec, StackSettings

BINARIES: tuple[str, ...] = ()
# The shop needs nothing to start (its SDKs retry exports until the collector answers, and the
# frontend calls the backend only per request), so it starts with the stores: a Python start
# costs about as long as the stores and the collector together. The load generator waits for
# the shop.
STAGE = 0
LOADGEN_STAGE = 2


def _otel_env(settings: StackSettings, service: str) -> dict[str, str]:
    return {
        "OTEL_SERVICE_NAME": service,
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{settings.hostport('otlp-grpc')}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=local",
        "OTEL_METRIC_EXPORT_INTERVAL": "5000",
        "OTEL_BSP_SCHEDULE_DELAY": "1000",
        "OTEL_BLRP_SCHEDULE_DELAY": "1000",
    }


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    if not settings.services:
        return []
    python = sys.executable
    backend = ComponentSpec(
        cv.SHOP_BACKEND,
        [python, "-m", "kansoku.services.backend"],
        _otel_env(settings, cv.SHOP_BACKEND),
        settings.url("shop-backend") + cv.HEALTH_PATH,
        ("shop-backend",),
        settings.url("shop-backend"),
        stage=STAGE,
    )
    frontend = ComponentSpec(
        cv.SHOP_FRONTEND,
        [python, "-m", "kansoku.services.frontend"],
        {
            **_otel_env(settings, cv.SHOP_FRONTEND),
            cv.ENV_SHOP_BACKEND_URL: settings.url("shop-backend"),
        },
        settings.url("shop-frontend") + cv.HEALTH_PATH,
        ("shop-frontend",),
        settings.url("shop-frontend"),
        stage=STAGE,
    )
    result = [backend, frontend]
    if settings.loadgen:
        result.append(
            ComponentSpec(
                cv.LOADGEN,
                [python, "-m", "kansoku.services.loadgen"],
                {cv.ENV_SHOP_FRONTEND_URL: settings.url("shop-frontend")},
                None,
                (),
                "(headless)",
                stage=LOADGEN_STAGE,
            )
        )
    return result
