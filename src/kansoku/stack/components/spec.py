"""What every component module builds on: the stack's settings and one component's spec."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kansoku import conventions as cv
from kansoku.stack.ports import client_url

PROMETHEUS_RETENTION = "15d"
LOGS_RETENTION = "7d"  # VictoriaLogs locally; `kansoku up --logs-retention`
JAEGER_STORAGES = ("memory", "badger", "opensearch")
TRACES_RETENTION_DAYS = 7  # on OpenSearch; `kansoku up --traces-retention-days`
OPENSEARCH_HEAP = "512m"  # `kansoku up --opensearch-heap`; RSS is about 200 MiB above it


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
    logs_retention: str = LOGS_RETENTION
    opensearch_heap: str = OPENSEARCH_HEAP
    traces_retention_days: int = TRACES_RETENTION_DAYS
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
    cwd: Path | None = None  # working directory (default: the supervisor's)
    notes: tuple[str, ...] = ()  # warnings 'kansoku up' prints once, before starting anything


def port_keys(component: str) -> tuple[str, ...]:
    """Every port key that belongs to ``component`` in the conventions' port table."""
    return tuple(p.key for p in cv.PORTS if p.component == component)


def port_env(settings: StackSettings) -> dict[str, str]:
    """The variables every component gets: each port, the bind address, the data dir."""
    env = {p.env: str(settings.ports[p.key]) for p in cv.PORTS}
    env[cv.ENV_BIND_ADDRESS] = settings.bind_address
    env[cv.ENV_DATA_DIR] = str(settings.data_dir)
    return env


def process_env(spec: ComponentSpec) -> dict[str, str]:
    """The environment a component runs with: ours on top of the caller's."""
    return {**os.environ, **spec.env}
