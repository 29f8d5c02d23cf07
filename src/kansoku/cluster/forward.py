"""A TCP forwarder from 127.0.0.1 on the host into the node's network namespace.

The node's API server and its Services are reachable only inside the namespace. A forwarder
listens on a free loopback port of the host and, for each connection, dials the target from a
thread inside the namespace (``Namespace.call``), then copies bytes both ways. Nothing else
links the host to the namespace.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

from kansoku.cluster.layout import LOOPBACK
from kansoku.cluster.netns import Namespace

_CHUNK = 65536


def _dial(host: str, port: int) -> socket.socket:
    return socket.create_connection((host, port), timeout=10)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until either side closes, then close both."""
    try:
        while data := source.recv(_CHUNK):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@dataclass
class Forwarder:
    """127.0.0.1:``port`` on the host -> ``target_host:target_port`` inside ``namespace``."""

    namespace: Namespace
    target_host: str
    target_port: int
    port: int = 0  # 0: a free port, known after ``start``
    _listener: socket.socket | None = field(default=None, repr=False)
    _stopped: threading.Event = field(default_factory=threading.Event, repr=False)

    def start(self) -> int:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self.port))
        listener.listen(64)
        self._listener = listener
        self.port = listener.getsockname()[1]
        name = f"forward-{self.port}"
        threading.Thread(target=self._accept, args=(listener,), name=name, daemon=True).start()
        return self.port

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by stop()
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = self.namespace.call(_dial, self.target_host, self.target_port)
        except (OSError, RuntimeError):  # refused, or the node (its namespace) already gone
            client.close()
            return
        upstream.settimeout(None)
        threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
        _pump(upstream, client)

    def stop(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            self._listener.close()
