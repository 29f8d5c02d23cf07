"""Pre-encoded OTLP bodies: valid protobuf, and unique per send where it matters."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from kansoku.bench import payloads


def _trace_ids(body: bytes) -> list[str]:
    request = ExportTraceServiceRequest.FromString(body)
    return [s.trace_id.hex() for s in request.resource_spans[0].scope_spans[0].spans]


def test_trace_body_decodes_with_service_name_and_span_count() -> None:
    payload = payloads.build_traces("svc-a", 40, 10)
    request = ExportTraceServiceRequest.FromString(payload.body)
    attrs = {a.key: a.value.string_value for a in request.resource_spans[0].resource.attributes}
    assert attrs["service.name"] == "svc-a"
    assert len(request.resource_spans[0].scope_spans[0].spans) == 40
    assert payload.traces == 4


def test_every_send_carries_new_trace_ids() -> None:
    payload = payloads.build_traces("svc", 20, 5)
    first, seq1 = payload.next()
    second, seq2 = payload.next()
    ids1, ids2 = set(_trace_ids(first)), set(_trace_ids(second))
    assert len(ids1) == 4
    assert len(ids2) == 4
    assert not ids1 & ids2
    assert payload.trace_id(2, seq2) in ids2
    assert payload.trace_id(2, seq1) in ids1


def test_spans_of_a_trace_share_its_id_and_root() -> None:
    payload = payloads.build_traces("svc", 10, 5)
    body, _ = payload.next()
    spans = ExportTraceServiceRequest.FromString(body).resource_spans[0].scope_spans[0].spans
    roots = [s for s in spans if not s.parent_span_id]
    assert len(roots) == 2
    for root in roots:
        children = [s for s in spans if s.parent_span_id == root.span_id]
        assert len(children) == 4
        assert {c.trace_id for c in children} == {root.trace_id}


def test_trace_spans_must_fill_whole_traces() -> None:
    with pytest.raises(ValueError, match="multiple"):
        payloads.build_traces("svc", 15, 10)


def test_metric_body_stamps_every_point_with_the_send_time() -> None:
    payload = payloads.build_metrics("svc-m", 50)
    body, millis = payload.next(now_ns=1_700_000_000_123_456_789)
    request = ExportMetricsServiceRequest.FromString(body)
    metric = request.resource_metrics[0].scope_metrics[0].metrics[0]
    assert metric.name == payloads.METRIC_NAME
    stamps = {p.time_unix_nano for p in metric.gauge.data_points}
    assert stamps == {1_700_000_000_123_000_000}
    assert millis == 1_700_000_000_123
    series = {p.attributes[0].value.string_value for p in metric.gauge.data_points}
    assert len(series) == 50


def test_metric_timestamps_strictly_increase_within_one_millisecond() -> None:
    payload = payloads.build_metrics("svc", 3)
    _, first = payload.next(now_ns=5_000_000)
    _, second = payload.next(now_ns=5_000_000)
    _, third = payload.next(now_ns=5_100_000)
    assert (first, second, third) == (5, 6, 7)


def test_log_body_stamps_every_record_and_keeps_distinct_values() -> None:
    payload = payloads.build_logs("svc-l", 300, value_prefix="run7-")
    body = payload.next(now_ns=1_700_000_000_123_456_789)
    [resource] = ExportLogsServiceRequest.FromString(body).resource_logs
    attrs = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert attrs["service.name"] == "svc-l"
    records = resource.scope_logs[0].log_records
    assert len(records) == payload.records == 300
    assert {r.time_unix_nano for r in records} == {1_700_000_000_123_456_789}
    values = {a.value.string_value for r in records for a in r.attributes}
    assert len(values) == 300
    assert "run7-000299" in values
    assert {r.severity_text for r in records} == {"INFO"}


def test_a_log_body_may_carry_a_given_message() -> None:
    payload = payloads.build_logs("svc", 1, message="x" * 1_048_576)
    [record] = (
        ExportLogsServiceRequest.FromString(payload.next())
        .resource_logs[0]
        .scope_logs[0]
        .log_records
    )
    assert len(record.body.string_value) == 1_048_576
