"""``kansoku alerts``: the notifications the local receiver got, newest last.

Thin over :mod:`kansoku.alerting.notifications`; reads the data dir, so it works while the
stack runs and after it stopped.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from kansoku import conventions as cv
from kansoku import locations
from kansoku.alerting.notifications import Notification, log_path, notifications
from kansoku.stack.table import render

_LABELS_SHOWN = (cv.SLO_LABEL_ID, cv.SLO_LABEL_SEVERITY, cv.LABEL_TEAM)


def _row(n: Notification) -> list[str]:
    shown = {k: n.labels[k] for k in _LABELS_SHOWN if k in n.labels}
    windows = n.labels.get(cv.SLO_LABEL_LONG_WINDOW)
    if windows:
        shown["windows"] = f"{windows}/{n.labels.get(cv.SLO_LABEL_SHORT_WINDOW, '')}"
    return [
        n.received_at,
        n.status,
        n.receiver,
        n.alertname,
        " ".join(f"{k}={v}" for k, v in shown.items()),
        " ".join(n.links.values()),
    ]


def select(
    found: list[Notification], *, receiver: str | None, status: str | None, watchdog: bool
) -> list[Notification]:
    """The notifications asked for; the Watchdog's heartbeats only when asked."""
    return [
        n
        for n in found
        if (watchdog or n.alertname != cv.ALERT_WATCHDOG)
        and (receiver is None or n.receiver == receiver)
        and (status is None or n.status == status)
    ]


@click.command("alerts")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The local stack's data dir [default: $KANSOKU_DATA_DIR or ~/.local/share/kansoku].",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert, one a line.")
@click.option("--receiver", default=None, help="Only this receiver (e.g. shop-page).")
@click.option("--status", type=click.Choice(["firing", "resolved"]), default=None)
@click.option("--watchdog", is_flag=True, help="Include the Watchdog's heartbeats.")
def alerts(
    data_dir: Path | None, as_json: bool, receiver: str | None, status: str | None, watchdog: bool
) -> None:
    """List the notifications the local receiver got: firing or resolved, receiver, labels,
    links."""
    path = log_path((data_dir or locations.default_data_dir()).resolve())
    shown = select(notifications(path), receiver=receiver, status=status, watchdog=watchdog)
    if as_json:
        for n in shown:
            click.echo(json.dumps(n.as_json(), sort_keys=True))
        return
    if not shown:
        click.echo(f"no notifications in {path}")
        return
    headers = ["received", "status", "receiver", "alert", "labels", "links"]
    click.echo(render(headers, [_row(n) for n in shown]))
