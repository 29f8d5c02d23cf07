"""Pre-encoded OTLP request bodies that stay unique per send at almost no cost.

Encoding protobuf in Python costs far more than sending it (see DESIGN.md's performance
references), so each body is built once with the ``opentelemetry-proto`` classes and then, for
every send, only a few fixed-width fields are overwritten in a copy of the bytes:

- traces: the last 4 bytes of every trace id carry a send sequence number, so each send
  stores new traces instead of piling spans onto old ones;
- metrics: every data point's ``time_unix_nano`` (a ``fixed64``) gets the send's timestamp,
  so Prometheus stores a new sample per series instead of rejecting a duplicate;
- logs: every record's ``time_unix_nano`` gets the send's timestamp, so the records of a run
  lie in the run's time range.

The offsets are found once, by searching the encoded bytes for the placeholder values.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass, field

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs, SeverityNumber
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Gauge,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

SCOPE = "kansoku.bench"
METRIC_NAME = "kansoku.bench.load"
METRIC_PROMETHEUS = "kansoku_bench_load"  # as the collector's remote write names the gauge
SERIES_LABEL = "series"
_SEQ = struct.Struct(">I")
_NANOS = struct.Struct("<Q")
_ROUTES = ("/api/products", "/api/products/{product_id}", "/api/carts/{cart_id}", "/api/orders")
_PLACEHOLDER_NANOS = 0x0123_4567_89AB_CDEF  # an impossible timestamp, easy to find
# The root span of trace t of a body is named after _ROUTES[t % 4]: a body of four traces or
# more has all four, so a count can ask Jaeger for a quarter of a run's traces at a time.
ROOT_SPAN_NAMES = tuple(f"GET {route}" for route in _ROUTES)


def _kv(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _resource(service: str) -> Resource:
    return Resource(
        attributes=[
            _kv("service.name", service),
            _kv("service.instance.id", os.urandom(8).hex()),
            _kv("deployment.environment.name", "bench"),
        ]
    )


def _find_all(data: bytes, needle: bytes) -> list[int]:
    found, start = [], 0
    while (at := data.find(needle, start)) >= 0:
        found.append(at)
        start = at + 1
    return found


@dataclass
class TracePayload:
    """One ``/v1/traces`` body; ``next()`` returns it with fresh trace ids."""

    body: bytes
    spans: int
    traces: int
    prefixes: list[bytes] = field(repr=False)  # first 12 bytes of each trace id
    id_offsets: list[int] = field(repr=False)
    sequence: int = 0

    def next(self) -> tuple[bytes, int]:
        """The body for the next send and its sequence number."""
        self.sequence += 1
        buf = bytearray(self.body)
        seq = _SEQ.pack(self.sequence)
        for at in self.id_offsets:
            buf[at : at + 4] = seq
        return bytes(buf), self.sequence

    def trace_id(self, trace_index: int, sequence: int) -> str:
        """Hex id of trace ``trace_index`` in the body sent with ``sequence``."""
        return (self.prefixes[trace_index] + _SEQ.pack(sequence)).hex()


def build_traces(service: str, spans: int, spans_per_trace: int) -> TracePayload:
    """``spans`` spans in traces of ``spans_per_trace``: one server span and its children."""
    if spans < 1 or spans_per_trace < 1 or spans % spans_per_trace:
        raise ValueError("spans must be a positive multiple of spans_per_trace")
    run = os.urandom(8)
    prefixes = [run + struct.pack(">I", i) for i in range(spans // spans_per_trace)]
    start = time.time_ns()
    scope_spans = ScopeSpans(scope=InstrumentationScope(name=SCOPE, version="1"))
    for t, prefix in enumerate(prefixes):
        trace_id = prefix + b"\0\0\0\0"
        root = os.urandom(8)
        for s in range(spans_per_trace):
            route = _ROUTES[(t + s) % len(_ROUTES)]
            scope_spans.spans.append(
                Span(
                    trace_id=trace_id,
                    span_id=root if s == 0 else os.urandom(8),
                    parent_span_id=b"" if s == 0 else root,
                    name=f"GET {route}" if s == 0 else f"db.query {s}",
                    kind=Span.SPAN_KIND_SERVER if s == 0 else Span.SPAN_KIND_INTERNAL,
                    start_time_unix_nano=start + s * 1000,
                    end_time_unix_nano=start + s * 1000 + 250_000,
                    attributes=[
                        _kv("http.request.method", "GET"),
                        _kv("http.route", route),
                        _kv("http.response.status_code", 200),
                        _kv("bench.index", t * spans_per_trace + s),
                    ],
                    status=Status(code=Status.STATUS_CODE_OK),
                )
            )
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=_resource(service), scope_spans=[scope_spans])]
    )
    body = request.SerializeToString()
    # Each trace id is the run's 8 bytes, the trace's index, then the 4 sequence bytes: patch
    # those, found in one pass over the body by the run's bytes (one pass per trace id would
    # cost seconds for bodies of thousands of small traces).
    offsets = [at + 12 for at in _find_all(body, run)]
    if len(offsets) != spans:
        raise AssertionError(f"found {len(offsets)} trace ids in the body, expected {spans}")
    return TracePayload(body, spans, len(prefixes), prefixes, offsets)


@dataclass
class MetricPayload:
    """One ``/v1/metrics`` body; ``next()`` returns it stamped with a fresh timestamp."""

    body: bytes
    points: int
    ts_offsets: list[int] = field(repr=False)
    last_millis: int = 0

    def next(self, now_ns: int | None = None) -> tuple[bytes, int]:
        """The body for the next send and its timestamp in milliseconds.

        Timestamps strictly increase by at least 1 ms per send, since Prometheus keeps one
        sample per series and millisecond.
        """
        millis = max((now_ns or time.time_ns()) // 1_000_000, self.last_millis + 1)
        self.last_millis = millis
        stamp = _NANOS.pack(millis * 1_000_000)
        buf = bytearray(self.body)
        for at in self.ts_offsets:
            buf[at : at + 8] = stamp
        return bytes(buf), millis


def build_metrics(service: str, points: int, series_prefix: str = "s") -> MetricPayload:
    """A gauge with ``points`` series (label ``series``), one data point each."""
    if points < 1:
        raise ValueError("points must be positive")
    data_points = [
        NumberDataPoint(
            attributes=[_kv(SERIES_LABEL, f"{series_prefix}{i:06d}")],
            time_unix_nano=_PLACEHOLDER_NANOS,
            as_double=float(i % 100),
        )
        for i in range(points)
    ]
    metric = Metric(
        name=METRIC_NAME,
        description="synthetic load from kansoku bench",
        unit="",  # no unit: "1" would make the Prometheus name end in _ratio
        gauge=Gauge(data_points=data_points),
    )
    request = ExportMetricsServiceRequest(
        resource_metrics=[
            ResourceMetrics(
                resource=_resource(service),
                scope_metrics=[
                    ScopeMetrics(scope=InstrumentationScope(name=SCOPE), metrics=[metric])
                ],
            )
        ]
    )
    body = request.SerializeToString()
    # time_unix_nano is field 3, wire type 1 (fixed64): tag byte 0x19, then 8 bytes.
    offsets = [at + 1 for at in _find_all(body, b"\x19" + _NANOS.pack(_PLACEHOLDER_NANOS))]
    if len(offsets) != points:
        raise AssertionError(f"found {len(offsets)} timestamps in the body, expected {points}")
    return MetricPayload(body, points, offsets)


@dataclass
class LogPayload:
    """One ``/v1/logs`` body; ``next()`` returns it stamped with a fresh timestamp."""

    body: bytes
    records: int
    ts_offsets: list[int] = field(repr=False)

    def next(self, now_ns: int | None = None) -> bytes:
        stamp = _NANOS.pack(now_ns or time.time_ns())
        buf = bytearray(self.body)
        for at in self.ts_offsets:
            buf[at : at + 8] = stamp
        return bytes(buf)


LOG_ATTRIBUTE = "bench.value"  # one value per record, distinct across a body's records


def build_logs(
    service: str, records: int, *, value_prefix: str = "v", message: str | None = None
) -> LogPayload:
    """``records`` INFO records of ``service``; record ``i`` has ``bench.value`` =
    ``<value_prefix><i>`` and the body ``message`` (default: a short line naming ``i``)."""
    if records < 1:
        raise ValueError("records must be positive")
    logs = [
        LogRecord(
            time_unix_nano=_PLACEHOLDER_NANOS,
            severity_number=SeverityNumber.SEVERITY_NUMBER_INFO,
            severity_text="INFO",
            body=AnyValue(string_value=message if message is not None else f"bench record {i}"),
            attributes=[_kv(LOG_ATTRIBUTE, f"{value_prefix}{i:06d}")],
        )
        for i in range(records)
    ]
    request = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=_resource(service),
                scope_logs=[ScopeLogs(scope=InstrumentationScope(name=SCOPE), log_records=logs)],
            )
        ]
    )
    body = request.SerializeToString()
    # time_unix_nano is LogRecord field 1, wire type 1 (fixed64): tag byte 0x09, then 8 bytes.
    offsets = [at + 1 for at in _find_all(body, b"\x09" + _NANOS.pack(_PLACEHOLDER_NANOS))]
    if len(offsets) != records:
        raise AssertionError(f"found {len(offsets)} timestamps in the body, expected {records}")
    return LogPayload(body, records, offsets)
