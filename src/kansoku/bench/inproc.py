"""An in-process driver: a fixed number of requests through one app's ASGI interface.

``python -m kansoku.bench.inproc APP --requests N [--control DIR]`` builds ``APP``
(``shop``: shop-backend as its ``__main__`` builds it, on a fresh SQLite file; ``bare`` /
``stock``: the reference endpoint of ``kansoku.bench.reference``), warms it up, then sends
``N`` sequential ``GET`` requests straight into the ASGI app (no server, no socket: what the
instrumentation costs is all that differs between the apps' variants), and then flushes every
telemetry provider, so the export of those requests' spans and one metric export are part of
the measured work. It prints one JSON line with the statuses and the process's CPU time.

With ``--control DIR`` it runs under ``valgrind --tool=callgrind --instr-atstart=no`` for
``kansoku.bench.instructions``: it prints ``ready`` once warmed up and waits for ``DIR/go``
(the parent switches instrumentation on first), prints the result when done and waits for
``DIR/stop`` (the parent switches instrumentation off first), so only the measured requests
are counted. The waits poll: callgrind reads its commands only while the program runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message

from kansoku.bench import reference

APPS = ("shop", "bare", "stock")
PATH = "/api/products/1"
WARM_UP = 30  # requests before measuring: route caches, pydantic models, first DB reads
_POLL_SECONDS = 0.02


def build(name: str, data_dir: Path) -> ASGIApp:
    if name in reference.MODES:
        return reference.build("stock" if name == "stock" else "bare")
    from kansoku import conventions
    from kansoku.services import telemetry
    from kansoku.services.backend.app import create_app
    from kansoku.services.backend.db import make_engine

    tel = telemetry.setup(conventions.SHOP_BACKEND)
    return create_app(make_engine(f"sqlite:///{data_dir / 'shop.db'}"), tel)


async def request(app: ASGIApp, path: str) -> int:
    """One ``GET path`` through ``app``; its status code."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8081"), (b"user-agent", b"kansoku-bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8081),
        "state": {},
    }
    status = 0
    received = False

    async def receive() -> Message:
        nonlocal received
        if received:
            return {"type": "http.disconnect"}
        received = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


async def _requests(app: ASGIApp, count: int) -> Counter[int]:
    return Counter([await request(app, PATH) for _ in range(count)])


def flush() -> None:
    """Flush every global provider that can be flushed (the no-op ones cannot)."""
    from opentelemetry import _logs, metrics, trace

    providers = (trace.get_tracer_provider(), metrics.get_meter_provider())
    for provider in (*providers, _logs.get_logger_provider()):
        force_flush = getattr(provider, "force_flush", None)
        if force_flush is not None:
            force_flush()


def _wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(_POLL_SECONDS)


def run(name: str, count: int, control: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kansoku-inproc-") as tmp:
        app = build(name, Path(tmp))
        loop = asyncio.new_event_loop()
        loop.run_until_complete(_requests(app, WARM_UP))
        flush()
        # Everything alive now (modules, the app, the SDK) leaves the collector's view: a full
        # collection over it would cost tens of millions of instructions, triggered or not by
        # a few allocations more or less, and make single-feature figures jump. A long-running
        # server rarely runs one (CPython waits for the long-lived heap to grow by a quarter);
        # what requests allocate is still collected and counted.
        gc.freeze()
        if control is not None:
            print("ready", flush=True)
            _wait_for(control / "go")
        started = time.process_time()
        statuses = loop.run_until_complete(_requests(app, count))
        flush()
        cpu = time.process_time() - started
        loop.close()
        return {"app": name, "requests": count, "statuses": dict(statuses), "cpu_seconds": cpu}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kansoku.bench.inproc")
    parser.add_argument("app", choices=APPS)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--control", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args.app, args.requests, args.control)
    print(json.dumps(result), flush=True)
    if args.control is not None:
        _wait_for(args.control / "stop")
    # Exit without the interpreter's teardown: nothing of it is measured, and the SDK's
    # exit hooks would flush again with nothing left to send.
    sys.stdout.flush()
    os._exit(0 if set(result["statuses"]) == {200} else 1)


if __name__ == "__main__":
    main()
