"""The OTLP load generator counts what was accepted, refused and failed, exactly."""

from __future__ import annotations

import asyncio
import os
import signal

from fake_server import serving
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from kansoku.bench.otlpload import LoadConfig, LoadProcess, LoadResult, run
from kansoku.verify.poll import poll_until


def _config(endpoint: str, **kw: object) -> LoadConfig:
    base: dict[str, object] = {
        "endpoint": endpoint,
        "service": "svc-test",
        "duration": 1.0,
        "spans_per_second": 400,
        "points_per_second": 400,
        "spans_per_request": 20,
        "spans_per_trace": 5,
        "points_per_request": 20,
        "concurrency": 2,
        "max_attempts": 2,
    }
    return LoadConfig(**{**base, **kw})  # type: ignore[arg-type]


def test_accepted_items_match_what_the_server_received() -> None:
    with serving({"/v1/traces": 200, "/v1/metrics": 200}) as (url, rec):
        result = asyncio.run(run(_config(url)))
    assert result.spans.sent == 20 * len(rec.bodies["/v1/traces"])
    assert result.points.sent == 20 * len(rec.bodies["/v1/metrics"])
    assert result.spans.sent > 0
    assert result.spans.refused == result.spans.failed == 0
    assert result.first_millis <= result.last_millis
    bodies = rec.bodies["/v1/traces"]
    ids = {
        s.trace_id
        for b in bodies
        for s in ExportTraceServiceRequest.FromString(b).resource_spans[0].scope_spans[0].spans
    }
    assert len(ids) == 4 * len(bodies)
    assert result.trace_ids


def test_refusals_are_retried_then_counted_as_refused() -> None:
    with serving({"/v1/traces": 200, "/v1/metrics": 503}) as (url, rec):
        result = asyncio.run(run(_config(url)))
    assert result.points.sent == 0
    assert result.points.refused > 0
    assert result.points.retries > 0
    assert result.points.requests == len(rec.bodies["/v1/metrics"])
    assert result.points.errors == {"503": result.points.requests}


def test_client_errors_are_failures_without_retry() -> None:
    with serving({"/v1/traces": 400, "/v1/metrics": 200}) as (url, _rec):
        result = asyncio.run(run(_config(url, points_per_second=0)))
    assert result.spans.failed > 0
    assert result.spans.retries == 0
    assert result.points.requests == 0


def test_result_round_trips_through_json() -> None:
    with serving({"/v1/traces": 200, "/v1/metrics": 200}) as (url, _rec):
        result = asyncio.run(run(_config(url, duration=0.5)))
    import dataclasses
    import json

    again = LoadResult.from_json(json.loads(json.dumps(dataclasses.asdict(result))))
    assert again == result


def test_log_records_are_sent_at_their_own_rate_and_counted() -> None:
    statuses = {"/v1/traces": 200, "/v1/metrics": 200, "/v1/logs": 200}
    with serving(statuses) as (url, rec):
        result = asyncio.run(
            run(_config(url, spans_per_second=0, logs_per_second=400, logs_per_request=20))
        )
    bodies = rec.bodies["/v1/logs"]
    assert result.logs.sent == 20 * len(bodies) > 0
    assert result.logs.refused == result.logs.failed == 0
    assert "/v1/traces" not in rec.bodies
    records = [
        r
        for b in bodies
        for r in ExportLogsServiceRequest.FromString(b).resource_logs[0].scope_logs[0].log_records
    ]
    assert len(records) == result.logs.sent
    assert min(r.time_unix_nano for r in records) > 0


def test_the_trace_ids_reported_are_the_last_ones_sent() -> None:
    # Jaeger's memory storage drops its oldest traces first, so the spot check takes the newest.
    with serving({"/v1/traces": 200, "/v1/metrics": 200}) as (url, rec):
        result = asyncio.run(run(_config(url, points_per_second=0, keep_trace_ids=3)))
    bodies = rec.bodies["/v1/traces"]
    assert len(bodies) > 6
    sent = [
        {
            s.trace_id.hex()
            for s in ExportTraceServiceRequest.FromString(b).resource_spans[0].scope_spans[0].spans
        }
        for b in bodies
    ]
    assert len(result.trace_ids) == 3
    recent = set().union(*sent[-6:])  # the workers' last sends may arrive out of order
    assert set(result.trace_ids) <= recent
    assert not set(result.trace_ids) & sent[0]


def test_a_stop_ends_the_run_before_its_duration_and_counts_what_was_sent() -> None:
    async def stopped_soon(config: LoadConfig) -> LoadResult:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.5, stop.set)
        return await run(config, stop)

    with serving({"/v1/traces": 200}) as (url, rec):
        result = asyncio.run(stopped_soon(_config(url, duration=60.0, points_per_second=0)))
    assert result.seconds < 10
    assert result.spans.sent == 20 * len(rec.bodies["/v1/traces"]) > 0


def test_sigterm_ends_the_process_early_with_its_report() -> None:
    with serving({"/v1/traces": 200}) as (url, rec):
        load = LoadProcess(_config(url, duration=60.0, points_per_second=0))
        poll_until(lambda: rec.bodies.get("/v1/traces"), what="a first body", timeout=30)
        os.kill(load.pid, signal.SIGTERM)
        result = load.result(grace=0)
    assert result.seconds < 30
    assert result.spans.sent == 20 * len(rec.bodies["/v1/traces"]) > 0


def test_each_worker_keeps_one_connection_without_reconnecting() -> None:
    with serving({"/v1/traces": 200}) as (url, rec):
        asyncio.run(run(_config(url, points_per_second=0, duration=1.0)))
    assert len(rec.bodies["/v1/traces"]) > 10
    assert len(rec.peers) == 2, "one per worker"


def test_workers_open_new_connections_every_reconnect_seconds() -> None:
    # A Service spreads connections: replicas added during the run get only new ones.
    # Each of the two workers sends for 2 s and must replace its connection at least once; a
    # busy machine may leave fewer replacements than the 2 s / 0.2 s an idle one makes.
    with serving({"/v1/traces": 200}) as (url, rec):
        asyncio.run(run(_config(url, points_per_second=0, duration=2.0, reconnect_seconds=0.2)))
    assert len(rec.peers) >= 2 * 2, rec.peers
    assert len(rec.peers) <= len(rec.bodies["/v1/traces"]), "a connection per request at most"
