"""The load generator, run as the supervisor runs it, against a stand-in frontend."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from kansoku import conventions
from kansoku.verify.poll import poll_until

LIST_PAGE = b'<a data-product-id="7" href="/products/7">x</a>'


class StandInFrontend(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, str]]] = []  # method, path, user agent

    def _answer(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("User-Agent", "")))
        if self.command == "POST" and self.path == "/cart/items":
            self.send_response(303)
            self.send_header("Location", "/cart")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = LIST_PAGE if self.path == "/" else b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[str]:
    StandInFrontend.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInFrontend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_loadgen_walks_journeys_as_itself_and_stops_cleanly_on_sigterm(stand_in: str) -> None:
    env = {
        **os.environ,
        conventions.ENV_SHOP_FRONTEND_URL: stand_in,
        conventions.ENV_LOADGEN_USERS: "3",
        conventions.ENV_LOADGEN_SPAWN_RATE: "50",
        conventions.ENV_LOADGEN_THINK_SECONDS: "0.02",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kansoku.services.loadgen"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        poll_until(
            lambda: ("POST", "/checkout") in {(m, p) for m, p, _ in StandInFrontend.seen} or None,
            what="a checkout from the load generator",
            timeout=60,
        )
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "stopped;" in output
    paths = {p for _, p, _ in StandInFrontend.seen}
    assert {"/", "/products/7", "/cart/items", "/cart", "/checkout"} <= paths
    assert {ua for _, _, ua in StandInFrontend.seen} == {conventions.LOADGEN_USER_AGENT}


def test_loadgen_stops_by_itself_after_its_run_time(stand_in: str) -> None:
    env = {
        **os.environ,
        conventions.ENV_SHOP_FRONTEND_URL: stand_in,
        conventions.ENV_LOADGEN_USERS: "1",
        conventions.ENV_LOADGEN_RUN_SECONDS: "2",
        conventions.ENV_LOADGEN_THINK_SECONDS: "0.05",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "kansoku.services.loadgen"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert StandInFrontend.seen, "no request reached the frontend"
