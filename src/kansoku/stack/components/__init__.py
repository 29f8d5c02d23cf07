"""The local stack's components: what runs, in which order, with which flags and environment.

One module per component (``alertmanager`` with its local receiver, ``prometheus``,
``opensearch`` and ``traces_retention`` (only with ``--jaeger-storage opensearch``),
``jaeger``, ``victorialogs``, ``collector``, ``shop``), each with ``BINARIES`` (the pinned
binaries it needs), ``STAGE`` and ``specs(settings, binaries)``.
Every component reads the one copy of its configuration under ``config/``; what differs on
this host (ports, bind address, data paths, peer endpoints) is passed as environment
variables that the configuration files expand, or as command-line flags where the upstream
program has no expansion (Prometheus).

Start stages: a stage starts once the previous one is ready; the components of one stage
start together. Stop order is the reverse of ``MODULES``' order, so what sends comes after
what it sends to: the shop flushes into a running collector and the collector into running
stores.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType

from kansoku.stack.components import (
    alertmanager,
    collector,
    console,
    jaeger,
    opensearch,
    prometheus,
    shop,
    traces_retention,
    victorialogs,
)
from kansoku.stack.components.spec import (
    JAEGER_STORAGES,
    LOGS_RETENTION,
    OPENSEARCH_HEAP,
    PROMETHEUS_RETENTION,
    TRACES_RETENTION_DAYS,
    ComponentSpec,
    StackSettings,
    port_env,
    process_env,
)

# Dependency order: what a component sends to comes before it (Prometheus sends alerts). The
# console sends nothing and comes first, so `kansoku up` prints its URL first.
MODULES: tuple[ModuleType, ...] = (
    console,
    alertmanager,
    prometheus,
    opensearch,
    jaeger,
    victorialogs,
    collector,
    traces_retention,
    shop,
)

__all__ = [
    "JAEGER_STORAGES",
    "LOGS_RETENTION",
    "MODULES",
    "OPENSEARCH_HEAP",
    "PROMETHEUS_RETENTION",
    "TRACES_RETENTION_DAYS",
    "ComponentSpec",
    "StackSettings",
    "build_specs",
    "needed_binaries",
    "process_env",
]


def build_specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    """The components in dependency order, each with the common environment."""
    specs = [spec for module in MODULES for spec in module.specs(settings, binaries)]
    common = port_env(settings)
    return [dataclasses.replace(s, env={**common, **s.env, **settings.extra_env}) for s in specs]


def needed_binaries(settings: StackSettings | None = None) -> tuple[str, ...]:
    """Every pinned binary the local stack starts; with ``settings``, also those its options
    add (OpenSearch for ``--jaeger-storage opensearch``), which ``--stack`` installs leave out."""
    always = tuple(b for module in MODULES for b in module.BINARIES)
    if settings is None:
        return always
    return always + opensearch.extra_binaries(settings)
