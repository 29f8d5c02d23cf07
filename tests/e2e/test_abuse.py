"""Abuse of the collector's OTLP endpoints: each gets a clear answer and nothing falls over;
floods and oversized records are bounded where docs/logs.md and docs/operations.md say.

Every test sends its bad traffic with a valid trace before and after it, and checks that the
collector is alive and that both valid traces are stored in Jaeger.
"""

from __future__ import annotations

import gzip
import uuid
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import httpx
import pytest
import yaml

from kansoku import conventions as cv
from kansoku import locations
from kansoku.bench import payloads, stored
from kansoku.bench.measure import MetricsText
from kansoku.stack import state as st
from kansoku.verify import logsql, pipeline
from kansoku.verify.checks import jaeger_trace
from kansoku.verify.poll import poll_until

pytestmark = [pytest.mark.e2e]

PROTOBUF = "application/x-protobuf"
LIMIT = 8 * 1024 * 1024  # max_request_body_size / max_recv_msg_size_mib in collector.yaml
LOG_VALUE = logsql.quote(payloads.LOG_ATTRIBUTE)


def _post(state: st.StackState, path: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        state.url("otlp-http") + path,
        content=body,
        headers={"Content-Type": PROTOBUF, **headers},
        timeout=30.0,
    )


def _send_valid(state: st.StackState) -> str:
    payload = payloads.build_traces(f"kansoku-abuse-{uuid.uuid4().hex[:8]}", 5, 5)
    body, seq = payload.next()
    assert _post(state, "/v1/traces", body).status_code == 200
    return payload.trace_id(0, seq)


@pytest.fixture
def valid_alongside(core_stack: st.StackState) -> Iterator[None]:
    """A valid trace before and after the test; both must be stored, the collector alive."""
    sent = [_send_valid(core_stack)]
    yield
    sent.append(_send_valid(core_stack))
    assert st.pid_alive(core_stack.components[cv.COLLECTOR].pid), "the collector died"
    for trace_id in sent:
        trace = poll_until(
            lambda t=trace_id: jaeger_trace(core_stack.url("jaeger-query"), t),  # type: ignore[misc]
            what=f"valid trace {trace_id} in Jaeger",
            timeout=60,
        )
        assert len(trace["spans"]) == 5


@pytest.mark.usefixtures("valid_alongside")
def test_garbage_protobuf_is_a_bad_request(core_stack: st.StackState) -> None:
    resp = _post(core_stack, "/v1/traces", b"\xff\xfe this is not protobuf \x00\x01" * 50)
    assert resp.status_code == 400


@pytest.mark.usefixtures("valid_alongside")
def test_an_unknown_content_type_is_unsupported_media(core_stack: st.StackState) -> None:
    body, _ = payloads.build_traces("kansoku-abuse", 5, 5).next()
    resp = _post(core_stack, "/v1/traces", body, **{"Content-Type": "text/plain"})
    assert resp.status_code == 415


@pytest.mark.usefixtures("valid_alongside")
def test_malformed_json_is_a_bad_request(core_stack: st.StackState) -> None:
    resp = _post(
        core_stack, "/v1/metrics", b'{"resourceMetrics": [', **{"Content-Type": "application/json"}
    )
    assert resp.status_code == 400


@pytest.mark.usefixtures("valid_alongside")
def test_a_body_above_the_limit_is_refused(core_stack: st.StackState) -> None:
    resp = _post(core_stack, "/v1/traces", b"\x0a" * (LIMIT + 1024))
    assert resp.status_code in (400, 413)
    assert resp.status_code != 200


@pytest.mark.usefixtures("valid_alongside")
def test_a_gzip_bomb_is_refused_after_the_limit(core_stack: st.StackState) -> None:
    bomb = gzip.compress(b"\0" * (4 * LIMIT))
    assert len(bomb) < LIMIT // 100
    resp = _post(core_stack, "/v1/traces", bomb, **{"Content-Encoding": "gzip"})
    assert resp.status_code in (400, 413)


@pytest.mark.usefixtures("valid_alongside")
@pytest.mark.parametrize("encoding", ["deflate", "zstd", "br", "snappy"])
def test_compression_other_than_gzip_is_refused(core_stack: st.StackState, encoding: str) -> None:
    body, _ = payloads.build_traces("kansoku-abuse", 5, 5).next()
    sent = zlib.compress(body) if encoding == "deflate" else body
    resp = _post(core_stack, "/v1/traces", sent, **{"Content-Encoding": encoding})
    assert resp.status_code in (400, 415)


@pytest.mark.usefixtures("valid_alongside")
def test_grpc_garbage_and_oversize_messages_get_grpc_errors(core_stack: st.StackState) -> None:
    target = core_stack.url("otlp-grpc").removeprefix("http://")
    with grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 4 * LIMIT)]) as ch:
        raw = ch.unary_unary(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            request_serializer=None,
            response_deserializer=None,
        )
        with pytest.raises(grpc.RpcError) as garbage:
            raw(b"\xff\xfe not protobuf", timeout=10)
        assert garbage.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL)
        big = payloads.build_traces("kansoku-abuse", 50_000, 10)
        with pytest.raises(grpc.RpcError) as oversize:
            raw(big.body, timeout=30)
        assert len(big.body) > LIMIT
        assert oversize.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def _processor_setting(processor: str, key: str) -> int:
    """One setting of a processor in the collector's config."""
    config = yaml.safe_load((locations.config_dir() / "collector" / "collector.yaml").read_text())
    return int(config["processors"][processor][key])


@pytest.mark.usefixtures("valid_alongside")
def test_a_flood_of_100k_series_is_cut_at_the_series_limit(core_stack: st.StackState) -> None:
    limit = _processor_setting("series_limit", "max_series_per_metric")
    service = f"kansoku-flood-{uuid.uuid4().hex[:8]}"
    bystander = f"kansoku-bystander-{uuid.uuid4().hex[:8]}"
    series_per_request, requests = 10_000, 10
    bodies = [
        payloads.build_metrics(service, series_per_request, series_prefix=f"r{i}-").next()[0]
        for i in range(requests)
    ]
    collector = core_stack.url("collector-metrics") + "/metrics"
    prometheus = core_stack.url("prometheus")
    before = pipeline.PipelineCounts.read(collector, prometheus)

    def send(body: bytes) -> int:
        return _post(core_stack, "/v1/metrics", body).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(send, bodies))
    assert set(statuses) <= {200, 429, 503}, statuses
    accepted = statuses.count(200) * series_per_request
    assert accepted > limit, statuses
    # Another service's series of the same metric still get their own slots.
    assert send(payloads.build_metrics(bystander, 100).next()[0]) == 200
    taken = pipeline.PipelineCounts.read(collector, prometheus)
    # Dropped synchronously, before the answers: exactly the flood's surplus, none of the rest.
    dropped = taken.get("series_limit dropped") - before.get("series_limit dropped")
    assert dropped == accepted - limit, pipeline.table(before, taken)

    def wait(selector: str, target: int) -> float:
        return pipeline.await_stored(
            lambda: stored.prometheus_series(prometheus, selector),
            target,
            read=lambda: pipeline.PipelineCounts.read(collector, prometheus),
            accepted=taken,
            report=print,
        )

    flood = f'{payloads.METRIC_PROMETHEUS}{{job="{service}"}}'
    count = wait(flood, limit)
    print(f"flood: {accepted} series accepted, {count:.0f} stored; statuses {statuses}")
    assert count == limit
    bystanders = f'{payloads.METRIC_PROMETHEUS}{{job="{bystander}"}}'
    assert wait(bystanders, 100) == 100
    assert httpx.get(prometheus + "/-/healthy", timeout=10).status_code == 200


def _logs_stats(state: st.StackState, service: str, pipe: str) -> dict[str, Any]:
    query = f"{logsql.field_equals(cv.LOG_FIELD_SERVICE, service)} | {pipe}"
    rows = logsql.query(state.url("victorialogs"), query, timeout=60)
    return rows[0] if rows else {}


@pytest.mark.usefixtures("valid_alongside")
def test_a_flood_of_100k_distinct_log_attribute_values_stays_one_stream(
    core_stack: st.StackState,
) -> None:
    run = f"kansoku-log-flood-{uuid.uuid4().hex[:8]}"
    per_request, requests = 500, 200  # 100,000 records, each with its own bench.value
    bodies = [
        payloads.build_logs(run, per_request, value_prefix=f"r{i:03d}-").next()
        for i in range(requests)
    ]
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda b: _post(core_stack, "/v1/logs", b).status_code, bodies))
    assert statuses.count(200) == requests, statuses
    victorialogs = core_stack.url("victorialogs")
    total = per_request * requests
    count = stored.settle(
        lambda: stored.victorialogs_records(victorialogs, run), total, timeout=180, quiet=30
    )
    assert count == total, f"{total - count:.0f} of {total} records missing"
    # The distinct values are a plain field; the records share the one stream of service.name.
    stats = _logs_stats(
        core_stack, run, f"stats count_uniq(_stream) as streams, count_uniq({LOG_VALUE}) as values"
    )
    assert (int(stats["streams"]), int(stats["values"])) == (1, total)
    assert httpx.get(victorialogs + cv.VICTORIALOGS_HEALTH_PATH, timeout=10).status_code == 200


def _log_limit_counts(collector_metrics: str) -> tuple[float, float]:
    """log_limit's cut bodies: records, and bytes removed."""
    text = MetricsText.fetch(collector_metrics)
    return (
        text.total(cv.COLLECTOR_LOGS_TRUNCATED, field="body"),
        text.total(cv.COLLECTOR_LOG_BYTES_REMOVED, field="body"),
    )


@pytest.mark.usefixtures("valid_alongside")
def test_a_1_mib_log_body_is_cut_to_the_limit_marked_and_counted(
    core_stack: st.StackState,
) -> None:
    limit = _processor_setting("log_limit", "max_body_bytes")
    run = f"kansoku-big-log-{uuid.uuid4().hex[:8]}"
    original = 1024 * 1024
    collector = core_stack.url("collector-metrics") + "/metrics"
    before = _log_limit_counts(collector)
    big = payloads.build_logs(run, 1, message="x" * original).next()
    assert _post(core_stack, "/v1/logs", big).status_code == 200
    # A record within the limit, from the same run, is left whole.
    assert _post(core_stack, "/v1/logs", payloads.build_logs(run, 1).next()).status_code == 200

    victorialogs = core_stack.url("victorialogs")
    count = stored.settle(
        lambda: stored.victorialogs_records(victorialogs, run), 2, timeout=60, quiet=3
    )
    assert count == 2, f"{2 - count} of 2 records missing"
    rows = logsql.query(
        victorialogs,
        f"{logsql.field_equals(cv.LOG_FIELD_SERVICE, run)} | fields {cv.LOG_FIELD_MESSAGE}, "
        f"{logsql.quote(cv.LOG_FIELD_BODY_ORIGINAL_BYTES)}",
        timeout=60,
    )
    by_size = sorted(rows, key=lambda r: len(r[cv.LOG_FIELD_MESSAGE]))
    small, cut = by_size
    assert cut[cv.LOG_FIELD_MESSAGE] == "x" * limit
    assert int(cut[cv.LOG_FIELD_BODY_ORIGINAL_BYTES]) == original
    assert small[cv.LOG_FIELD_MESSAGE] == "bench record 0"
    assert not small.get(cv.LOG_FIELD_BODY_ORIGINAL_BYTES)
    # Counted synchronously in the pipeline, before the collector answered.
    records, removed = _log_limit_counts(collector)
    assert (records - before[0], removed - before[1]) == (1, original - limit)
