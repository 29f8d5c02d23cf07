"""The local stack's components: what runs, in which order, with which flags and environment.

Every component reads the one copy of its configuration under ``config/``; what differs on
this host (ports, bind address, data paths, peer endpoints) is passed as environment
variables that the configuration files expand, or as command-line flags where the upstream
program has no expansion (Prometheus).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import ConfigError
from kansoku.stack.ports import client_url

JAEGER_STORAGES = ("memory", "badger")
# Flags Prometheus needs in every mode (deploy/kubernetes passes the same ones).
PROMETHEUS_FLAGS = (
    "--web.enable-remote-write-receiver",
    "--web.enable-otlp-receiver",
    "--enable-feature=exemplar-storage",
)
PROMETHEUS_RETENTION = "15d"
# Start stages: a stage starts once the previous one is ready. The stores do not need each
# other to start (Jaeger reads Prometheus only when queried), and the shop services need
# nothing to start (their SDKs retry exports until the collector answers, and the frontend
# calls the backend only per request), so they start with the stores: a Python start costs
# about as long as the stores and the collector together. The collector waits for the stores
# it exports to; the load generator waits for the shop.
STAGES = {
    cv.PROMETHEUS: 0,
    cv.JAEGER: 0,
    cv.SHOP_BACKEND: 0,
    cv.SHOP_FRONTEND: 0,
    cv.COLLECTOR: 1,
    cv.LOADGEN: 2,
}


@dataclass(frozen=True)
class StackSettings:
    """Everything ``kansoku up`` was asked for."""

    data_dir: Path
    ports: dict[str, int]
    bind_address: str = "127.0.0.1"
    services: bool = True
    loadgen: bool = True
    jaeger_storage: str = "memory"
    collector_debug: bool = False
    retention: str = PROMETHEUS_RETENTION
    extra_env: dict[str, str] = field(default_factory=dict)

    def url(self, key: str) -> str:
        return client_url(self.bind_address, self.ports[key])

    def hostport(self, key: str) -> str:
        return self.url(key).removeprefix("http://")


@dataclass(frozen=True)
class ComponentSpec:
    """How to start one component and how to know it is ready."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str | None
    port_keys: tuple[str, ...]
    url: str
    prepare: Callable[[], None] | None = None
    startup_timeout: float = 60.0
    stage: int = 0  # components of one stage start together (see Supervisor)


def _port_env(settings: StackSettings) -> dict[str, str]:
    env = {p.env: str(settings.ports[p.key]) for p in cv.PORTS}
    env[cv.ENV_BIND_ADDRESS] = settings.bind_address
    env[cv.ENV_DATA_DIR] = str(settings.data_dir)
    return env


def _write_targets(settings: StackSettings, etc: Path) -> None:
    targets = {
        cv.JOB_PROMETHEUS: settings.hostport("prometheus"),
        cv.JOB_COLLECTOR: settings.hostport("collector-metrics"),
        cv.JOB_JAEGER: settings.hostport("jaeger-metrics"),
    }
    (etc / "targets").mkdir(parents=True, exist_ok=True)
    for job, target in targets.items():
        body = [{"targets": [target], "labels": {"kansoku_mode": "local"}}]
        (etc / "targets" / f"{job}.json").write_text(json.dumps(body, indent=2) + "\n")


def prometheus_spec(settings: StackSettings, binary: Path) -> ComponentSpec:
    source = locations.config_dir() / "prometheus"
    etc = settings.data_dir / "prometheus" / "etc"

    def prepare() -> None:
        # Prometheus resolves targets/ and rules/ relative to its config file, so the file is
        # placed, unchanged, beside this host's targets and the committed rules.
        shutil.rmtree(etc, ignore_errors=True)
        etc.mkdir(parents=True)
        shutil.copyfile(source / "prometheus.yaml", etc / "prometheus.yaml")
        if (source / "rules").is_dir():
            shutil.copytree(source / "rules", etc / "rules")
        _write_targets(settings, etc)

    argv = [
        str(binary),
        f"--config.file={etc / 'prometheus.yaml'}",
        f"--storage.tsdb.path={settings.data_dir / 'prometheus' / 'tsdb'}",
        f"--storage.tsdb.retention.time={settings.retention}",
        f"--web.listen-address={settings.hostport('prometheus')}",
        *PROMETHEUS_FLAGS,
    ]
    return ComponentSpec(
        cv.PROMETHEUS,
        argv,
        {},
        settings.url("prometheus") + "/-/ready",
        ("prometheus",),
        settings.url("prometheus"),
        prepare,
    )


def jaeger_spec(settings: StackSettings, binary: Path) -> ComponentSpec:
    if settings.jaeger_storage not in JAEGER_STORAGES:
        raise ConfigError("--jaeger-storage", "value", f"one of {', '.join(JAEGER_STORAGES)}")
    source = locations.config_dir() / "jaeger"
    argv = [str(binary), "--config", str(source / "jaeger.yaml")]
    if settings.jaeger_storage == "badger":
        argv += ["--config", str(source / "jaeger-badger.yaml")]
    env = {
        cv.ENV_PROMETHEUS_URL: settings.url("prometheus"),
        cv.ENV_JAEGER_BADGER_DIR: str(settings.data_dir / "jaeger" / "badger"),
    }
    keys = tuple(p.key for p in cv.PORTS if p.component == cv.JAEGER)
    return ComponentSpec(
        cv.JAEGER,
        argv,
        env,
        settings.url("jaeger-query") + "/api/services",
        keys,
        settings.url("jaeger-query"),
    )


def collector_spec(settings: StackSettings, binary: Path) -> ComponentSpec:
    source = locations.config_dir() / "collector"
    argv = [str(binary), "--config", str(source / "collector.yaml")]
    if settings.collector_debug:
        argv += ["--config", str(source / "collector-debug.yaml")]
    base = settings.data_dir / "collector"
    env = {
        cv.ENV_PROMETHEUS_URL: settings.url("prometheus"),
        cv.ENV_JAEGER_OTLP_ENDPOINT: settings.hostport("jaeger-otlp-grpc"),
        cv.ENV_COLLECTOR_STORAGE_DIR: str(base / "storage"),
        cv.ENV_COLLECTOR_LOGS_PATH: str(base / "logs" / "logs.jsonl"),
        "GOMEMLIMIT": "400MiB",
    }

    def prepare() -> None:
        (base / "storage").mkdir(parents=True, exist_ok=True)
        (base / "logs").mkdir(parents=True, exist_ok=True)

    keys = tuple(p.key for p in cv.PORTS if p.component == cv.COLLECTOR)
    return ComponentSpec(
        cv.COLLECTOR,
        argv,
        env,
        settings.url("collector-health") + "/",
        keys,
        f"grpc://{settings.hostport('otlp-grpc')}",
        prepare,
    )


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


def service_specs(settings: StackSettings) -> list[ComponentSpec]:
    python = sys.executable
    backend = ComponentSpec(
        cv.SHOP_BACKEND,
        [python, "-m", "kansoku.services.backend"],
        _otel_env(settings, cv.SHOP_BACKEND),
        settings.url("shop-backend") + cv.HEALTH_PATH,
        ("shop-backend",),
        settings.url("shop-backend"),
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
    )
    specs = [backend, frontend]
    if settings.loadgen:
        specs.append(
            ComponentSpec(
                cv.LOADGEN,
                [python, "-m", "kansoku.services.loadgen"],
                {cv.ENV_SHOP_FRONTEND_URL: settings.url("shop-frontend")},
                None,
                (),
                "(headless)",
            )
        )
    return specs


def build_specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    """The components in dependency order (what a component sends to comes before it).

    They stop in the reverse of this order, so the shop flushes into a running collector and
    the collector into running stores; they start by ``STAGES``.
    """
    specs = [
        prometheus_spec(settings, binaries["prometheus"]),
        jaeger_spec(settings, binaries["jaeger"]),
        collector_spec(settings, binaries["otelcol-kansoku"]),
    ]
    if settings.services:
        specs += service_specs(settings)
    common = _port_env(settings)
    return [
        dataclasses.replace(s, env={**common, **s.env, **settings.extra_env}, stage=STAGES[s.name])
        for s in specs
    ]


def needed_binaries() -> tuple[str, ...]:
    return ("prometheus", "jaeger", "otelcol-kansoku")


def process_env(spec: ComponentSpec) -> dict[str, str]:
    """The environment a component runs with: ours on top of the caller's."""
    return {**os.environ, **spec.env}
