"""Jaeger v2: the trace store (memory by default, Badger or OpenSearch on request)."""

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


def opensearch_env(urls: list[str], *, replicas: int, span_shards: int) -> dict[str, str]:
    """What jaeger-opensearch.yaml reads: the nodes' URLs, replicas and span shards."""
    return {
        cv.ENV_JAEGER_OPENSEARCH_URLS: "[" + ", ".join(urls) + "]",
        cv.ENV_JAEGER_OPENSEARCH_REPLICAS: str(replicas),
        cv.ENV_JAEGER_OPENSEARCH_SPAN_SHARDS: str(span_shards),
    }


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    if settings.jaeger_storage not in JAEGER_STORAGES:
        raise ConfigError("--jaeger-storage", "value", f"one of {', '.join(JAEGER_STORAGES)}")
    source = locations.config_dir() / "jaeger"
    argv = [str(binaries["jaeger"]), "--config", str(source / "jaeger.yaml")]
    if settings.jaeger_storage != "memory":
        argv += ["--config", str(source / f"jaeger-{settings.jaeger_storage}.yaml")]
    env = {
        cv.ENV_PROMETHEUS_URL: settings.url("prometheus"),
        cv.ENV_JAEGER_BADGER_DIR: str(settings.data_dir / "jaeger" / "badger"),
    }
    if settings.jaeger_storage == cv.OPENSEARCH:
        env.update(opensearch_env([settings.url("opensearch")], replicas=0, span_shards=1))
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
