"""The local receiver: what it accepts is on disk before it answers, and read back in order."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from kansoku import conventions as cv
from kansoku.alerting import notifications
from kansoku.alerting.command import alerts
from kansoku.alerting.receiver import ReceiverServer, docs_dir


def _payload(status: str, **labels: str) -> dict[str, Any]:
    alert = {
        "status": status,
        "labels": {"alertname": cv.SLO_ALERT_BURN, **labels},
        "annotations": {"summary": "burning", "runbook_url": "http://127.0.0.1:9095/docs/slo.md#x"},
        "startsAt": "2026-12-01T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }
    return {"version": "4", "status": status, "receiver": "shop-page", "alerts": [alert]}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[str]:
    log = notifications.NotificationLog(notifications.log_path(tmp_path))
    server = ReceiverServer(("127.0.0.1", 0), log, docs_dir())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_notification_is_on_disk_when_the_receiver_answers(receiver: str, tmp_path: Path) -> None:
    body = _payload("firing", slo="shop-backend-availability", severity="page")
    response = httpx.post(f"{receiver}/webhook/shop-page", json=body, timeout=10)
    assert response.status_code == 200
    (line,) = notifications.log_path(tmp_path).read_text().splitlines()
    record = json.loads(line)
    assert record["receiver"] == "shop-page"
    assert record["payload"] == body
    assert record["received_at"] == response.json()["received_at"]


def test_notifications_are_read_back_per_alert_in_arrival_order(
    receiver: str, tmp_path: Path
) -> None:
    for status in ("firing", "resolved"):
        body = _payload(status, slo="shop-backend-availability")
        httpx.post(f"{receiver}/webhook/shop-page", json=body, timeout=10).raise_for_status()
    found = notifications.notifications(notifications.log_path(tmp_path))
    assert [(n.status, n.receiver, n.labels["slo"]) for n in found] == [
        ("firing", "shop-page", "shop-backend-availability"),
        ("resolved", "shop-page", "shop-backend-availability"),
    ]
    assert found[0].links == {"runbook_url": "http://127.0.0.1:9095/docs/slo.md#x"}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/webhook/shop-page", b"not json", 400),
        ("/webhook/shop-page", b'{"no": "alerts"}', 400),
        ("/webhook/", b'{"alerts": []}', 404),
        ("/elsewhere", b'{"alerts": []}', 404),
    ],
)
def test_bad_posts_are_refused_and_not_logged(
    receiver: str, tmp_path: Path, path: str, body: bytes, status: int
) -> None:
    response = httpx.post(f"{receiver}{path}", content=body, timeout=10)
    assert response.status_code == status
    assert not notifications.log_path(tmp_path).exists()


def test_the_runbooks_are_served_and_nothing_else(receiver: str) -> None:
    page = httpx.get(f"{receiver}/docs/slo.md", timeout=10)
    assert page.status_code == 200
    assert "## When an error-budget alert fires" in page.text
    for path in ("/docs/../pyproject.toml", "/docs/missing.md", "/docs/%2e%2e/README.md"):
        assert httpx.get(f"{receiver}{path}", timeout=10).status_code == 404
    assert httpx.get(f"{receiver}{cv.HEALTH_PATH}", timeout=10).status_code == 200


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    log = notifications.NotificationLog(notifications.log_path(tmp_path))
    log.append("page", _payload("firing"))
    with log.path.open("a") as torn:
        torn.write('{"received_at": "2026-')
    assert [n.receiver for n in notifications.notifications(log.path)] == ["page"]


def test_kansoku_alerts_lists_them_and_hides_the_watchdog_unless_asked(tmp_path: Path) -> None:
    log = notifications.NotificationLog(notifications.log_path(tmp_path))
    log.append("shop-page", _payload("firing", slo="shop-backend-availability", severity="page"))
    log.append("watchdog", {"alerts": [{"status": "firing", "labels": {"alertname": "Watchdog"}}]})
    runner = CliRunner()
    table = runner.invoke(alerts, ["--data-dir", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "shop-page" in table.output
    assert "slo=shop-backend-availability" in table.output
    assert "http://127.0.0.1:9095/docs/slo.md#x" in table.output
    assert "Watchdog" not in table.output
    lines = runner.invoke(alerts, ["--data-dir", str(tmp_path), "--json", "--watchdog"]).output
    parsed = [json.loads(line) for line in lines.splitlines()]
    assert [(p["receiver"], p["status"]) for p in parsed] == [
        ("shop-page", "firing"),
        ("watchdog", "firing"),
    ]
    assert parsed[0]["labels"]["severity"] == "page"
