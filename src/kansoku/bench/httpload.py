"""A lean HTTP/1.1 load client for the overhead bench, in its own process.

``python -m kansoku.bench.httpload '<json HttpLoadConfig>'`` prints one JSON
``HttpLoadResult``. It speaks just enough HTTP/1.1 over keep-alive connections (a prepared
request, a ``Content-Length`` response) that its own cost stays far below the server's, so
the server's latency and CPU are what is measured. At a fixed rate the schedule is open-loop
and latency counts from each request's scheduled time, so a slow server is not hidden by a
waiting client.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from kansoku.bench.child import ReportingChild
from kansoku.bench.measure import percentile


@dataclass(frozen=True)
class HttpLoadConfig:
    url: str
    duration: float
    rate: float = 0.0  # requests/s; 0 = closed loop, as fast as the connections go
    connections: int = 8
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass
class HttpLoadResult:
    requests: int
    errors: int
    statuses: dict[str, int]
    seconds: float
    cpu_seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def prepared_request(config: HttpLoadConfig) -> tuple[str, int, bytes]:
    """Host, port and the bytes of one GET request with keep-alive."""
    parts = urlsplit(config.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in config.headers.items()]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode()


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response with a ``Content-Length`` body; return its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, rest = head.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    slot: int = 0


async def _worker(
    config: HttpLoadConfig, request: tuple[str, int, bytes], start: float, tally: _Tally
) -> None:
    host, port, raw = request
    deadline = start + config.duration
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            if config.rate:
                scheduled = start + tally.slot / config.rate
                tally.slot += 1
                if scheduled >= deadline:
                    return
                await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
            else:
                scheduled = time.monotonic()
                if scheduled >= deadline:
                    return
            try:
                writer.write(raw)
                status = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                tally.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            tally.latencies.append(time.monotonic() - scheduled)
            tally.statuses[str(status)] = tally.statuses.get(str(status), 0) + 1
    finally:
        writer.close()


async def run(config: HttpLoadConfig) -> HttpLoadResult:
    request = prepared_request(config)
    tally = _Tally()
    cpu0 = time.process_time()
    start = time.monotonic()
    await asyncio.gather(
        *(_worker(config, request, start, tally) for _ in range(config.connections))
    )
    ms = [x * 1000 for x in tally.latencies]
    return HttpLoadResult(
        requests=len(ms),
        errors=tally.errors,
        statuses=tally.statuses,
        seconds=time.monotonic() - start,
        cpu_seconds=time.process_time() - cpu0,
        p50_ms=percentile(ms, 0.5),
        p90_ms=percentile(ms, 0.9),
        p99_ms=percentile(ms, 0.99),
        max_ms=max(ms, default=0.0),
    )


class HttpLoadProcess(ReportingChild):
    """A running client process; ``result()`` waits for it and parses its report."""

    def __init__(self, config: HttpLoadConfig) -> None:
        self.config = config
        super().__init__("kansoku.bench.httpload", config.to_json(), "the HTTP load client")

    def result(self, grace: float = 60.0) -> HttpLoadResult:
        return HttpLoadResult(**self.report(self.config.duration + grace))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m kansoku.bench.httpload '<json config>'", file=sys.stderr)
        return 2
    data = json.loads(argv[0])
    result = asyncio.run(run(HttpLoadConfig(**data)))
    sys.stdout.write(json.dumps(asdict(result)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
