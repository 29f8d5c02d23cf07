"""What the alerting e2e tests share: the receiver's log, Alertmanager's API and amtool, and
the delivery bound computed from the committed configuration."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import httpx

from kansoku import conventions as cv
from kansoku.alerting import timing
from kansoku.alerting.notifications import Notification, log_path, notifications
from kansoku.alerting.timing import Bound
from kansoku.stack.components import StackSettings, shop
from kansoku.stack.state import StackState
from kansoku.tools import lookup

SLO_ID = f"{cv.SHOP_BACKEND}-availability"


def page_bound() -> Bound:
    """The page's bound with the shop's metric export interval as local mode sets it."""
    settings = StackSettings(data_dir=Path(), ports={"otlp-grpc": 4317})
    env = shop._otel_env(settings, cv.SHOP_BACKEND)
    return timing.page_bound(int(env["OTEL_METRIC_EXPORT_INTERVAL"]) / 1000)


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
