"""Jaeger v2: the trace store (memory by default, Badger on request)."""

from __future__ import annotations

from pathlib import Path

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import ConfigError
from kansoku.stack.components.spec import (
    JAEGER_STORAGES,
    ComponentSpec,
    StackSettings,
    port_keys,
)

BINARIES = ("jaeger",)
STAGE = 0  # a store: reads Prometheus only when queried


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    if settings.jaeger_storage not in JAEGER_STORAGES:
        raise ConfigError("--jaeger-storage", "value", f"one of {', '.join(JAEGER_STORAGES)}")
    source = locations.config_dir() / "jaeger"
    argv = [str(binaries["jaeger"]), "--config", str(source / "jaeger.yaml")]
    if settings.jaeger_storage == "badger":
        argv += ["--config", str(source / "jaeger-badger.yaml")]
    env = {
        cv.ENV_PROMETHEUS_URL: settings.url("prometheus"),
        cv.ENV_JAEGER_BADGER_DIR: str(settings.data_dir / "jaeger" / "badger"),
    }
    return [
        ComponentSpec(
            cv.JAEGER,
            argv,
            env,
            settings.url("jaeger-query") + "/api/services",
            port_keys(cv.JAEGER),
            settings.url("jaeger-query"),
            stage=STAGE,
        )
    ]
