"""What the alerting e2e tests share: the receiver's log, Alertmanager's API and amtool, and
the delivery bound computed from the committed configuration."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from kansoku import conventions as cv
from kansoku import locations
from kansoku.alerting.notifications import Notification, log_path, notifications
from kansoku.stack.components import StackSettings, shop
from kansoku.stack.state import StackState
from kansoku.tools import lookup

SLO_ID = f"{cv.SHOP_BACKEND}-availability"
# A busy machine (2 shared cores) delays each hop a little; what is left is the budget below.
SLACK_SECONDS = 60.0
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def seconds(text: str) -> float:
    """``500ms``, ``15s``, ``1m`` as seconds."""
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", text)
    assert match, f"not a duration: {text}"
    return int(match.group(1)) * _UNITS[match.group(2)]


def _yaml(*parts: str) -> Any:
    return yaml.safe_load((locations.config_dir().joinpath(*parts)).read_text(encoding="utf-8"))


def route_timing(severity: str) -> dict[str, float]:
    routes = _yaml("alertmanager", "alertmanager.yaml")["route"]["routes"]
    (route,) = [r for r in routes if f'severity="{severity}"' in r.get("matchers", [])]
    return {k: seconds(route[k]) for k in ("group_wait", "group_interval", "repeat_interval")}


@dataclass(frozen=True)
class Bound:
    """How long a page may take from the first failed request to the receiver, and why."""

    export: float  # the backend's metric export interval (twice: a new series needs 2 samples)
    batch: float  # the collector's batch timeout before remote write
    evaluation: float  # Prometheus' rule evaluation interval (twice: a sample just missed)
    group_wait: float  # the page route's group_wait in Alertmanager
    slack: float = SLACK_SECONDS

    @property
    def total(self) -> float:
        return 2 * self.export + self.batch + 2 * self.evaluation + self.group_wait + self.slack


def page_bound() -> Bound:
    # The shop's metric export interval, as local mode sets it.
    settings = StackSettings(data_dir=Path(), ports={"otlp-grpc": 4317})
    env = shop._otel_env(settings, cv.SHOP_BACKEND)
    export = int(env["OTEL_METRIC_EXPORT_INTERVAL"]) / 1000
    batch = seconds(_yaml("collector", "collector.yaml")["processors"]["batch"]["timeout"])
    evaluation = seconds(_yaml("prometheus", "prometheus.yaml")["global"]["evaluation_interval"])
    return Bound(export, batch, evaluation, route_timing("page")["group_wait"])


def received(stack: StackState, after: int = 0) -> list[Notification]:
    """Every alert of every notification the stack's receiver logged, from index ``after``."""
    return notifications(log_path(Path(stack.data_dir)))[after:]


def matching(found: list[Notification], **labels: str) -> list[Notification]:
    return [n for n in found if all(n.labels.get(k) == v for k, v in labels.items())]


def am_alerts(stack: StackState, **labels: str) -> list[dict[str, Any]]:
    """Alertmanager's own view (API v2) of the alerts with ``labels``, any state."""
    filters = [f'{k}="{v}"' for k, v in labels.items()]
    response = httpx.get(
        f"{stack.url('alertmanager')}/api/v2/alerts",
        params={"filter": filters, "silenced": "true", "inhibited": "true"},
        timeout=10,
    )
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()
    return result


def post_alert(stack: StackState, labels: dict[str, str], *, resolved: bool = False) -> None:
    """Send an alert to Alertmanager the way Prometheus does (API v2)."""
    now = dt.datetime.now(dt.UTC)
    alert: dict[str, Any] = {"labels": labels, "annotations": {"summary": labels["alertname"]}}
    if resolved:
        alert["endsAt"] = now.isoformat()
    else:
        alert["endsAt"] = (now + dt.timedelta(hours=1)).isoformat()
    response = httpx.post(f"{stack.url('alertmanager')}/api/v2/alerts", json=[alert], timeout=10)
    response.raise_for_status()


def amtool(stack: StackState, *args: str) -> str:
    binary = lookup.resolve("amtool").path
    proc = subprocess.run(
        [str(binary), f"--alertmanager.url={stack.url('alertmanager')}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def prometheus_alerts(stack: StackState, expr: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{stack.url('prometheus')}/api/v1/query", params={"query": expr}, timeout=10
    )
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result
