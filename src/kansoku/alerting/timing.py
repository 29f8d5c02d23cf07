"""How long an SLO page may take, from the first failed request to Alertmanager's receiver,
computed from the committed configuration: the shop's metric export interval (which differs
per mode, so the caller gives it), the collector's batch timeout, Prometheus's rule
evaluation interval and the page route's ``group_wait``. Local mode's tests and the real
node's compute it the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kansoku import locations

# A busy machine (2 shared cores) delays each hop a little; what is left is this budget.
SLACK_SECONDS = 60.0
# The OpenTelemetry SDK's metric export interval when OTEL_METRIC_EXPORT_INTERVAL is unset.
SDK_EXPORT_INTERVAL_MS = 60_000
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def seconds(text: str) -> float:
    """``500ms``, ``15s``, ``1m`` as seconds."""
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _yaml(config: Path, *parts: str) -> Any:
    return yaml.safe_load(config.joinpath(*parts).read_text(encoding="utf-8"))


def route_timing(severity: str, config: Path | None = None) -> dict[str, float]:
    """``group_wait``, ``group_interval`` and ``repeat_interval`` of the route of a severity."""
    routes = _yaml(config or locations.config_dir(), "alertmanager", "alertmanager.yaml")
    (route,) = [r for r in routes["route"]["routes"] if f'severity="{severity}"' in r["matchers"]]
    return {k: seconds(route[k]) for k in ("group_wait", "group_interval", "repeat_interval")}


@dataclass(frozen=True)
class Bound:
    """How long a page may take from the first failed request to the receiver, and why."""

    export: float  # the service's metric export interval (twice: a new series needs 2 samples)
    batch: float  # the collector's batch timeout before remote write
    evaluation: float  # Prometheus's rule evaluation interval (twice: a sample just missed)
    group_wait: float  # the page route's group_wait in Alertmanager
    slack: float = SLACK_SECONDS

    @property
    def total(self) -> float:
        return 2 * self.export + self.batch + 2 * self.evaluation + self.group_wait + self.slack


def page_bound(export_seconds: float, config: Path | None = None) -> Bound:
    """The bound for a service exporting its metrics every ``export_seconds``."""
    config = config or locations.config_dir()
    batch = seconds(_yaml(config, "collector", "collector.yaml")["processors"]["batch"]["timeout"])
    evaluation = seconds(
        _yaml(config, "prometheus", "prometheus.yaml")["global"]["evaluation_interval"]
    )
    return Bound(export_seconds, batch, evaluation, route_timing("page", config)["group_wait"])
