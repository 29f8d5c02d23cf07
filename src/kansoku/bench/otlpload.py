"""The capacity load generator: pre-encoded OTLP over HTTP at a fixed rate, in its own process.

Run as ``python -m kansoku.bench.otlpload '<json LoadConfig>'``; it prints one JSON
``LoadResult`` on stdout. Being a separate process keeps its CPU apart from the bench's own
and lets the bench read it with psutil; the result also carries the process's own CPU time,
so the cost per span (and so the generator's ceiling) is known for every run.

Refused requests (429/503, the collector's memory limiter) are retried with a short backoff,
as an SDK would; what is still refused at the end is counted, never hidden.

SIGTERM ends the run early, as if its duration were over: the requests under way finish (with
their retries) and the result is printed as usual, so a run can last until something else
has happened rather than for a time guessed beforehand.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from kansoku.bench import payloads
from kansoku.bench.child import ReportingChild

RETRYABLE = frozenset({429, 502, 503, 504})
_PROTOBUF = {"Content-Type": "application/x-protobuf"}


@dataclass(frozen=True)
class LoadConfig:
    """What to send. A rate of 0 turns a signal off; ``saturate`` sends back to back."""

    endpoint: str  # OTLP/HTTP base URL, e.g. http://127.0.0.1:4318
    service: str
    duration: float
    spans_per_second: float = 10_000
    points_per_second: float = 10_000
    spans_per_request: int = 500
    spans_per_trace: int = 10
    points_per_request: int = 2_000
    logs_per_second: float = 0
    logs_per_request: int = 500
    concurrency: int = 4  # workers per signal
    # Trace ids reported back, for spot checks in Jaeger: the last ones sent, since Jaeger's
    # memory storage keeps only its newest max_traces (100,000) and drops the first.
    keep_trace_ids: int = 20
    saturate: bool = False
    max_attempts: int = 8  # per request; refusals are retried with backoff up to 2 s
    # 0: each worker keeps its keep-alive connection for the whole run. Otherwise each worker
    # opens a new one this often: a Service spreads connections, not requests, so replicas
    # added while the load runs (an HPA's) get a share only of connections opened later.
    reconnect_seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass
class SignalTally:
    """Items of one signal: accepted by the collector, refused at the end, failed otherwise."""

    sent: int = 0
    refused: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def note_error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


@dataclass
class LoadResult:
    spans: SignalTally
    points: SignalTally
    logs: SignalTally
    seconds: float
    cpu_seconds: float
    trace_ids: list[str]
    first_millis: int = 0
    last_millis: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadResult:
        return cls(
            spans=SignalTally(**data.pop("spans")),
            points=SignalTally(**data.pop("points")),
            logs=SignalTally(**data.pop("logs")),
            **data,
        )


async def _post(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    tally: SignalTally,
    items: int,
    attempts: int,
) -> None:
    """Send one body, retrying refusals; add its items to ``sent``, ``refused`` or ``failed``."""
    delay = 0.1
    status = 0
    for attempt in range(attempts):
        tally.requests += 1
        try:
            resp = await client.post(url, content=body, headers=_PROTOBUF)
        except httpx.HTTPError as exc:
            tally.note_error(type(exc).__name__)
            status = 0
        else:
            status = resp.status_code
            if status < 300:
                tally.sent += items
                return
            tally.note_error(str(status))
            if status not in RETRYABLE:
                tally.failed += items
                return
        if attempt + 1 < attempts:
            tally.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
    if status in RETRYABLE:
        tally.refused += items
    else:
        tally.failed += items


class _Connection:
    """One worker's HTTP client (a single connection: a worker sends one request at a time),
    replaced by a fresh one every ``reconnect_seconds`` (0: never)."""

    def __init__(self, reconnect_seconds: float) -> None:
        self.reconnect_seconds = reconnect_seconds
        self.client: httpx.AsyncClient | None = None
        self.opened = 0.0

    async def get(self) -> httpx.AsyncClient:
        now = time.monotonic()
        stale = self.reconnect_seconds > 0 and now - self.opened >= self.reconnect_seconds
        if self.client is None or stale:
            await self.close()
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            self.client = httpx.AsyncClient(timeout=30.0, limits=limits)
            self.opened = now
        return self.client

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None


async def _paced(
    interval: float, deadline: float, reconnect: float, step: Any, stop: asyncio.Event
) -> None:
    """Call ``step(client)`` every ``interval`` seconds (0: back to back) until ``deadline``
    or ``stop``, on this worker's own connection."""
    connection = _Connection(reconnect)
    next_at = time.monotonic()
    try:
        while (now := time.monotonic()) < deadline and not stop.is_set():
            if interval and next_at > now:
                with contextlib.suppress(TimeoutError):  # woken early by stop
                    await asyncio.wait_for(stop.wait(), next_at - now)
                if stop.is_set():
                    break
            next_at = max(next_at + interval, time.monotonic() - 1.0)  # catch up at most 1 s
            await step(await connection.get())
    finally:
        await connection.close()


async def run(config: LoadConfig, stop: asyncio.Event | None = None) -> LoadResult:
    """Send for ``config.duration`` seconds, or until ``stop`` is set; returns the counts and
    this process's CPU."""
    stop = stop or asyncio.Event()
    spans = SignalTally()
    points = SignalTally()
    records = SignalTally()
    traces = payloads.build_traces(config.service, config.spans_per_request, config.spans_per_trace)
    metrics = payloads.build_metrics(config.service, config.points_per_request)
    logs = payloads.build_logs(config.service, config.logs_per_request)
    keep: deque[str] = deque(maxlen=config.keep_trace_ids)
    stamps = [0, 0]  # first and last metric timestamp sent, in ms
    cpu0 = time.process_time()
    started = time.monotonic()
    deadline = started + config.duration

    async def send_traces(client: httpx.AsyncClient) -> None:
        body, seq = traces.next()
        keep.append(traces.trace_id(seq % traces.traces, seq))
        url = f"{config.endpoint}/v1/traces"
        await _post(client, url, body, spans, traces.spans, config.max_attempts)

    async def send_metrics(client: httpx.AsyncClient) -> None:
        body, ms = metrics.next()
        stamps[0] = stamps[0] or ms
        stamps[1] = ms
        url = f"{config.endpoint}/v1/metrics"
        await _post(client, url, body, points, metrics.points, config.max_attempts)

    async def send_logs(client: httpx.AsyncClient) -> None:
        url = f"{config.endpoint}/v1/logs"
        await _post(client, url, logs.next(), records, logs.records, config.max_attempts)

    tasks = []
    for rate, per_request, step in (
        (config.spans_per_second, config.spans_per_request, send_traces),
        (config.points_per_second, config.points_per_request, send_metrics),
        (config.logs_per_second, config.logs_per_request, send_logs),
    ):
        if rate <= 0:
            continue
        interval = 0.0 if config.saturate else per_request * config.concurrency / rate
        tasks += [
            _paced(interval, deadline, config.reconnect_seconds, step, stop)
            for _ in range(config.concurrency)
        ]
    await asyncio.gather(*tasks)
    return LoadResult(
        spans=spans,
        points=points,
        logs=records,
        seconds=time.monotonic() - started,
        cpu_seconds=time.process_time() - cpu0,
        trace_ids=list(keep),
        first_millis=stamps[0],
        last_millis=stamps[1],
    )


class LoadProcess(ReportingChild):
    """A running load generator process; ``result()`` waits for it and parses its report."""

    def __init__(self, config: LoadConfig) -> None:
        self.config = config
        super().__init__("kansoku.bench.otlpload", config.to_json(), "the load generator")

    def result(self, grace: float = 120.0) -> LoadResult:
        """Wait up to the run's duration plus ``grace`` seconds (retries may drain late)."""
        return LoadResult.from_json(self.report(self.config.duration + grace))


async def _run_until_term(config: LoadConfig) -> LoadResult:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    return await run(config, stop)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m kansoku.bench.otlpload '<json config>'", file=sys.stderr)
        return 2
    config = LoadConfig(**json.loads(argv[0]))
    result = asyncio.run(_run_until_term(config))
    sys.stdout.write(json.dumps(asdict(result)) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
