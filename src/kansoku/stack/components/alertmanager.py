"""Alertmanager and the local receiver it notifies: alerts reach a person in local mode.

Alertmanager reads the one copy of its configuration (``config/alertmanager``), placed
unchanged beside this host's ``secrets/`` (receiver URLs, one per file, all pointing at the
local receiver) and run in that directory, because Alertmanager reads ``*_file`` paths against
its working directory. Silences and the notification log live under the data dir, so they
survive a restart; clustering is off (one instance).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from kansoku import conventions as cv
from kansoku import locations
from kansoku.stack.components.spec import ComponentSpec, StackSettings

BINARIES = ("alertmanager",)
STAGE = 0  # needs nothing to start: Prometheus retries until it answers


def receiver_url(settings: StackSettings, receiver: str) -> str:
    """Where the local receiver takes the notifications of one Alertmanager receiver."""
    return f"{settings.url('alert-receiver')}{cv.ALERT_RECEIVER_WEBHOOK_PATH}/{receiver}"


def url_file_receiver(name: str) -> str:
    """``shop-page-webhook-url`` -> ``shop-page``."""
    return name.removesuffix("-webhook-url")


def write_etc(settings: StackSettings, etc: Path) -> None:
    """The committed config and templates, and this host's receiver URLs beside them."""
    source = locations.config_dir() / "alertmanager"
    shutil.rmtree(etc, ignore_errors=True)
    etc.mkdir(parents=True)
    shutil.copyfile(source / "alertmanager.yaml", etc / "alertmanager.yaml")
    shutil.copytree(source / "templates", etc / "templates")
    secrets = etc / cv.ALERTMANAGER_SECRETS_DIR
    secrets.mkdir(mode=0o700)
    for name in cv.ALERTMANAGER_URL_FILES:
        (secrets / name).write_text(receiver_url(settings, url_file_receiver(name)) + "\n")


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    base = settings.data_dir.resolve() / "alertmanager"  # absolute: it runs in etc/
    etc = base / "etc"
    argv = [
        str(binaries["alertmanager"]),
        f"--config.file={etc / 'alertmanager.yaml'}",
        f"--storage.path={base / 'data'}",
        f"--web.listen-address={settings.hostport('alertmanager')}",
        f"--web.external-url={settings.url('alertmanager')}",
        "--cluster.listen-address=",  # one instance: no gossip port
    ]
    receiver = ComponentSpec(
        cv.ALERT_RECEIVER,
        [sys.executable, "-m", "kansoku.alerting.receiver"],
        {},
        settings.url("alert-receiver") + cv.HEALTH_PATH,
        ("alert-receiver",),
        settings.url("alert-receiver"),
        stage=STAGE,
    )
    alertmanager = ComponentSpec(
        cv.ALERTMANAGER,
        argv,
        {},
        settings.url("alertmanager") + "/-/ready",
        ("alertmanager",),
        settings.url("alertmanager"),
        lambda: write_etc(settings, etc),
        stage=STAGE,
        cwd=etc,
    )
    return [receiver, alertmanager]
