"""The documented receiver examples (config/alertmanager/examples): each drops into the config
in place of the receiver it names, passes amtool, and keeps its secret in a file."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import yaml
from amtool import CONFIG, CONFIG_DIR, amtool

from kansoku import conventions as cv
from kansoku.stack.ports import free_ports
from kansoku.tools import lookup
from kansoku.verify.poll import poll_until

EXAMPLES = sorted((CONFIG_DIR / "examples").glob("*.yaml"))
# Fields that would hold a secret inline; each has a *_file twin that the examples must use.
INLINE_SECRETS = {
    "api_url",
    "routing_key",
    "service_key",
    "auth_password",
    "auth_secret",
    "url",
    "webhook_url",
}


def _with_example(example: Path, into: Path) -> Path:
    """A copy of the config directory whose config has ``example`` in place of its namesake."""
    shutil.copytree(CONFIG_DIR / "templates", into / "templates")
    block = yaml.safe_load(example.read_text(encoding="utf-8"))
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    names = [r["name"] for r in config["receivers"]]
    assert block["name"] in names, f"{example.name} replaces no receiver"
    config["receivers"][names.index(block["name"])] = block
    path = into / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_there_are_slack_pagerduty_and_email_examples() -> None:
    assert [e.stem for e in EXAMPLES] == ["email", "pagerduty", "slack"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_passes_amtool_in_place_of_its_receiver(example: Path, tmp_path: Path) -> None:
    config = _with_example(example, tmp_path)
    proc = amtool("check-config", str(config), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    receivers = yaml.safe_load(config.read_text(encoding="utf-8"))["receivers"]
    assert f" - {len(receivers)} receivers" in proc.stdout, proc.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_keeps_its_secret_in_a_file(example: Path) -> None:
    block = yaml.safe_load(example.read_text(encoding="utf-8"))
    (kind,) = [k for k in block if k != "name"]
    for config in block[kind]:
        assert not INLINE_SECRETS & set(config), f"{example.name}: a secret inline"
        files = [v for k, v in config.items() if k.endswith("_file")]
        assert files, example.name
        assert all(f.startswith("secrets/") for f in files), example.name


class _Capture(BaseHTTPRequestHandler):
    """Takes what Alertmanager's Slack or PagerDuty notifier sends, on loopback."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.bodies.append(json.loads(body))
        reply = b'{"status":"success","message":"Event processed","dedup_key":"k"}'
        self.send_response(202 if "pagerduty" in self.path else 200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def capture() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Capture.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Capture.bodies
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", ["slack", "pagerduty"])
def test_example_delivers_the_templated_text_through_alertmanager(
    name: str, tmp_path: Path, capture: tuple[str, list[dict[str, Any]]]
) -> None:
    url, bodies = capture
    config = _with_example(CONFIG_DIR / "examples" / f"{name}.yaml", tmp_path)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for file in cv.ALERTMANAGER_URL_FILES:
        (secrets / file).write_text(f"{url}/webhook\n")
    (secrets / "slack-api-url").write_text(f"{url}/slack\n")
    (secrets / "pagerduty-routing-key").write_text("0123456789abcdef0123456789abcdef\n")
    if name == "pagerduty":  # the events endpoint, moved to loopback for the test
        doc = yaml.safe_load(config.read_text())
        (block,) = [r for r in doc["receivers"] if r["name"] == "shop-page"]
        block["pagerduty_configs"][0]["url"] = f"{url}/pagerduty"
        config.write_text(yaml.safe_dump(doc, sort_keys=False))
    port = free_ports()["alertmanager"]
    binary = lookup.resolve("alertmanager").path
    argv = [
        str(binary),
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with subprocess.Popen(argv, cwd=tmp_path, stderr=subprocess.DEVNULL) as proc:
        try:
            base = f"http://127.0.0.1:{port}"
            poll_until(
                lambda: httpx.get(f"{base}/-/ready").status_code == 200 or None,
                what="alertmanager ready",
                timeout=30,
            )
            alert = {
                "labels": {
                    "alertname": "ErrorBudgetBurn",
                    "slo": "shop-backend-availability",
                    "severity": "page",
                    "team": "shop",
                },
                "annotations": {"summary": "burning fast", "runbook_url": "http://x/runbook"},
            }
            httpx.post(f"{base}/api/v2/alerts", json=[alert], timeout=10).raise_for_status()
            poll_until(lambda: bodies or None, what=f"a {name} notification", timeout=90)
        finally:
            proc.terminate()
    text = json.dumps(bodies[0])
    assert "[FIRING:1] ErrorBudgetBurn shop-backend-availability (page)" in text
    assert "burning fast" in text
    if name == "slack":
        assert "Runbook: http://x/runbook" in bodies[0]["attachments"][0]["text"]
    else:  # PagerDuty reads "key: value" lines of a detail as a map
        assert bodies[0]["routing_key"] == "0123456789abcdef0123456789abcdef"
        assert bodies[0]["payload"]["custom_details"]["text"]["Runbook"] == "http://x/runbook"
        assert {"href": "http://x/runbook", "text": "runbook"} in bodies[0]["links"]
