"""The notification log of the local receiver: append-only JSON lines under the data dir.

One line per notification Alertmanager delivered::

    {"received_at": "2026-12-01T23:50:00.123Z", "receiver": "shop-page", "payload": {...}}

``payload`` is Alertmanager's webhook body unchanged (version 4: status, receiver, alerts with
labels, annotations, startsAt, endsAt, fingerprint; groupLabels, commonLabels, externalURL).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kansoku import conventions as cv
from kansoku.errors import ConfigError

_LINKS = ("dashboard", "runbook_url")


def log_path(data_dir: Path) -> Path:
    return data_dir / cv.ALERT_RECEIVER_LOG


class NotificationLog:
    """Appends records durably: each line is written whole and fsync'd before the reply."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, receiver: str, payload: dict[str, Any]) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record = {"received_at": now, "receiver": receiver, "payload": payload}
        line = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode()
        with self._lock:
            # O_APPEND: one write per record, so a crash leaves at most a torn last line.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return record


@dataclass(frozen=True)
class Notification:
    """One alert of one delivered notification, as ``kansoku alerts`` lists it."""

    received_at: str
    receiver: str
    status: str  # "firing" or "resolved" (of this alert, not of its group)
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: str
    ends_at: str

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def links(self) -> dict[str, str]:
        return {k: v for k in _LINKS if (v := self.annotations.get(k))}

    def as_json(self) -> dict[str, Any]:
        return {
            "received_at": self.received_at,
            "receiver": self.receiver,
            "status": self.status,
            "alertname": self.alertname,
            "labels": self.labels,
            "annotations": self.annotations,
            "links": self.links,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
        }


def records(path: Path) -> Iterator[dict[str, Any]]:
    """Every whole record in the log; a torn last line (a crash mid-write) is skipped."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.endswith("\n"):
                return  # torn by a crash: never acknowledged, so Alertmanager retried it
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(str(path), f"line {number}", f"a JSON record ({exc})") from exc
            yield record


def notifications(path: Path) -> list[Notification]:
    """Each alert of each notification, oldest first."""
    found = []
    for record in records(path):
        payload = record.get("payload", {})
        for alert in payload.get("alerts", []):
            found.append(
                Notification(
                    received_at=record.get("received_at", ""),
                    receiver=record.get("receiver", ""),
                    status=alert.get("status", ""),
                    labels=dict(alert.get("labels", {})),
                    annotations=dict(alert.get("annotations", {})),
                    starts_at=alert.get("startsAt", ""),
                    ends_at=alert.get("endsAt", ""),
                )
            )
    return found
