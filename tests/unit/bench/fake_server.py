"""A tiny threaded HTTP server that answers each path with a chosen status and counts bodies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder:
    def __init__(self, statuses: dict[str, int]) -> None:
        self.statuses = statuses
        self.bodies: dict[str, list[bytes]] = {}
        self.peers: set[tuple[str, int]] = set()  # one per client connection
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, body: bytes) -> None:
                with recorder.lock:
                    recorder.bodies.setdefault(self.path, []).append(body)
                    recorder.peers.add(self.client_address)
                status = recorder.statuses.get(self.path, 404)
                payload = b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self._answer(self.rfile.read(length))

            def do_GET(self) -> None:
                self._answer(b"")

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


@contextmanager
def serving(statuses: dict[str, int]) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder(statuses)
    server = ThreadingHTTPServer(("127.0.0.1", 0), recorder.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
