"""The alertmanager component as ``kansoku up`` starts it: ready, and its silences survive a
restart because they live under the data dir."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from amtool import amtool

from kansoku import conventions as cv
from kansoku.stack.components import StackSettings, alertmanager, process_env
from kansoku.stack.components.spec import port_env
from kansoku.stack.ports import free_ports
from kansoku.tools import lookup
from kansoku.verify.poll import poll_until


def _start(settings: StackSettings) -> subprocess.Popen[bytes]:
    binaries = {"alertmanager": lookup.resolve("alertmanager").path}
    (spec,) = [s for s in alertmanager.specs(settings, binaries) if s.name == cv.ALERTMANAGER]
    assert spec.prepare is not None
    spec.prepare()
    env = process_env(spec) | port_env(settings)
    proc = subprocess.Popen(spec.argv, cwd=spec.cwd, env=env, stderr=subprocess.DEVNULL)
    assert spec.ready_url is not None
    ready_url = spec.ready_url
    poll_until(
        lambda: httpx.get(ready_url, timeout=5).status_code == 200 or None,
        what=f"{ready_url} answering 200",
        timeout=60,
    )
    return proc


def test_the_local_receiver_urls_are_written_beside_the_config(tmp_path: Path) -> None:
    settings = StackSettings(data_dir=tmp_path, ports=free_ports())
    alertmanager.write_etc(settings, tmp_path / "etc")
    secrets = tmp_path / "etc" / cv.ALERTMANAGER_SECRETS_DIR
    assert sorted(p.name for p in secrets.iterdir()) == sorted(cv.ALERTMANAGER_URL_FILES)
    url = (secrets / "shop-page-webhook-url").read_text().strip()
    assert url == f"{settings.url('alert-receiver')}{cv.ALERT_RECEIVER_WEBHOOK_PATH}/shop-page"
    assert secrets.stat().st_mode & 0o077 == 0


def test_a_silence_survives_a_restart(tmp_path: Path) -> None:
    settings = StackSettings(data_dir=tmp_path, ports=free_ports())
    url = f"--alertmanager.url={settings.url('alertmanager')}"
    proc = _start(settings)
    try:
        made = amtool(url, "silence", "add", "slo=x", "--duration=1h", "--comment=kept", "-a", "t")
        assert made.returncode == 0, made.stderr
        silence = made.stdout.strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    proc = _start(settings)
    try:
        query = amtool(url, "silence", "query", "-q")
        assert query.returncode == 0, query.stderr
        assert silence in query.stdout.split()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert (tmp_path / "alertmanager" / "data" / "silences").is_file()
    assert (tmp_path / "alertmanager" / "data" / "nflog").is_file()
