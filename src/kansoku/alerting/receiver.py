"""The local notification receiver: what would have paged a person, kept in the data dir.

``POST /webhook/<receiver>`` takes an Alertmanager webhook body and appends it to the
notification log (:mod:`kansoku.alerting.notifications`) before answering 200, so a
notification Alertmanager counts as delivered is on disk. ``GET /docs/<page>.md`` serves the
repository's docs, which the alerts' runbook links point at in local mode; ``GET /healthz`` is
the readiness check. Run as ``python -m kansoku.alerting.receiver`` (``kansoku up`` does); the
port, bind address and data dir come from the stack's environment.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from kansoku import conventions as cv
from kansoku import locations
from kansoku.alerting.notifications import NotificationLog, log_path

_RECEIVER = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_DOC = re.compile(r"[a-z0-9-]{1,64}\.md")
_MAX_BODY = 4 * 1024 * 1024  # Alertmanager bodies are small; refuse anything absurd


class ReceiverServer(ThreadingHTTPServer):
    """A threading server that finishes in-flight requests before it closes."""

    daemon_threads = False  # server_close() joins them: an accepted notification is written

    def __init__(self, address: tuple[str, int], log: NotificationLog, docs: Path) -> None:
        super().__init__(address, _Handler)
        self.log = log
        self.docs = docs


class _Handler(BaseHTTPRequestHandler):
    server: ReceiverServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"alert-receiver: {format % args}\n")

    def _reply(self, status: HTTPStatus, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._reply(status, json.dumps({"error": message}).encode())

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == cv.HEALTH_PATH:
            self._reply(HTTPStatus.OK, b'{"status":"ok"}')
            return
        name = path.removeprefix(cv.ALERT_RECEIVER_DOCS_PATH)
        page = self.server.docs / name
        if path.startswith(cv.ALERT_RECEIVER_DOCS_PATH) and _DOC.fullmatch(name) and page.is_file():
            self._reply(HTTPStatus.OK, page.read_bytes(), "text/markdown; charset=utf-8")
            return
        self._error(HTTPStatus.NOT_FOUND, f"no such page: {path}")

    def do_POST(self) -> None:
        # The body is read first, so the connection stays in step for the next request.
        payload = self._payload()
        receiver = self.path.removeprefix(cv.ALERT_RECEIVER_WEBHOOK_PATH + "/")
        if not self.path.startswith(cv.ALERT_RECEIVER_WEBHOOK_PATH + "/") or not (
            _RECEIVER.fullmatch(receiver)
        ):
            self._error(HTTPStatus.NOT_FOUND, f"post to {cv.ALERT_RECEIVER_WEBHOOK_PATH}/<name>")
            return
        if isinstance(payload, str):
            self._error(HTTPStatus.BAD_REQUEST, payload)
            return
        record = self.server.log.append(receiver, payload)
        self._reply(HTTPStatus.OK, json.dumps({"received_at": record["received_at"]}).encode())

    def _payload(self) -> dict[str, Any] | str:
        """The webhook body, or what is wrong with it."""
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= _MAX_BODY:
            self.close_connection = True  # the body, if any, is not read
            return f"a body of 1 to {_MAX_BODY} bytes is expected"
        raw = self.rfile.read(length)
        try:
            payload = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return f"the body is not JSON: {exc}"
        if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
            return "an Alertmanager webhook body with 'alerts'"
        return payload


def serve(data_dir: Path, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT; requests in flight are finished first."""
    server = ReceiverServer((host, port), NotificationLog(log_path(data_dir)), docs_dir())
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def docs_dir() -> Path:
    return locations.project_root() / "docs"


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # leaves serve_forever; server_close() joins the handlers


def main() -> None:
    port = cv.PORTS_BY_KEY["alert-receiver"]
    serve(
        Path(os.environ.get(cv.ENV_DATA_DIR) or locations.default_data_dir()),
        os.environ.get(cv.ENV_BIND_ADDRESS, "127.0.0.1"),
        int(os.environ.get(port.env, port.default)),
    )


if __name__ == "__main__":
    main()
