"""The OpenTelemetry Collector (our distribution): receives everything, feeds the stores."""

from __future__ import annotations

from pathlib import Path

from kansoku import conventions as cv
from kansoku import locations
from kansoku.stack.components.spec import ComponentSpec, StackSettings, port_keys

BINARIES = ("otelcol-kansoku",)
STAGE = 1  # waits for the stores it exports to


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    source = locations.config_dir() / "collector"
    argv = [str(binaries["otelcol-kansoku"]), "--config", str(source / "collector.yaml")]
    if settings.collector_debug:
        argv += ["--config", str(source / "collector-debug.yaml")]
    base = settings.data_dir / "collector"
    env = {
        cv.ENV_PROMETHEUS_URL: settings.url("prometheus"),
        cv.ENV_JAEGER_OTLP_ENDPOINT: settings.hostport("jaeger-otlp-grpc"),
        cv.ENV_COLLECTOR_STORAGE_DIR: str(base / "storage"),
        cv.ENV_VICTORIALOGS_URL: settings.url("victorialogs"),
        "GOMEMLIMIT": "400MiB",
    }

    def prepare() -> None:
        (base / "storage").mkdir(parents=True, exist_ok=True)

    return [
        ComponentSpec(
            cv.COLLECTOR,
            argv,
            env,
            settings.url("collector-health") + "/",
            port_keys(cv.COLLECTOR),
            f"grpc://{settings.hostport('otlp-grpc')}",
            prepare,
            stage=STAGE,
        )
    ]
