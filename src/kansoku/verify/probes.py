"""Send one uniquely tagged trace, metric and log through a collector with the OTel SDK."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from opentelemetry import context as otel_context
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

PROBE_SERVICE = "kansoku-verify"
PROBE_SPAN = "kansoku.verify.probe"
PROBE_METRIC = "kansoku.verify.probes"
PROBE_METRIC_PROMETHEUS = "kansoku_verify_probes_total"
PROBE_ATTRIBUTE = "verify.id"
PROBE_LABEL = "verify_id"


@dataclass(frozen=True)
class Probe:
    """What was sent: the id that tags all three signals, the trace's and the span's ids."""

    verify_id: str
    trace_id: str
    span_id: str
    sent_at: float = field(default_factory=time.monotonic)  # once the collector took all three


def send(otlp_endpoint: str, *, timeout: float = 10.0) -> Probe:
    """Export one span, one counter point and one log record carrying the same id.

    Each signal uses its own provider with a synchronous processor so that ``send`` returns
    only after the collector has answered each export.
    """
    verify_id = uuid.uuid4().hex
    resource = Resource.create({"service.name": PROBE_SERVICE})
    endpoint = otlp_endpoint.removeprefix("grpc://")
    insecure = not endpoint.startswith("https://")
    attrs = {PROBE_ATTRIBUTE: verify_id}

    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=insecure, timeout=timeout))
    )
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        SimpleLogRecordProcessor(
            OTLPLogExporter(endpoint=endpoint, insecure=insecure, timeout=timeout)
        )
    )
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=endpoint, insecure=insecure, timeout=timeout),
        export_interval_millis=3_600_000,
    )
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    try:
        tracer = tracer_provider.get_tracer("kansoku.verify")
        with tracer.start_as_current_span(PROBE_SPAN, attributes=attrs) as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            span_id = format(span.get_span_context().span_id, "016x")
            logger_provider.get_logger("kansoku.verify").emit(
                context=otel_context.get_current(),
                severity_number=SeverityNumber.INFO,
                severity_text="INFO",
                body=f"kansoku verify probe {verify_id}",
                attributes=attrs,
            )
        meter_provider.get_meter("kansoku.verify").create_counter(
            PROBE_METRIC, unit="{probe}", description="verification probes sent"
        ).add(1, attrs)
        reader.force_flush(timeout_millis=int(timeout * 1000))
    finally:
        tracer_provider.shutdown()
        logger_provider.shutdown()
        meter_provider.shutdown()
    return Probe(verify_id=verify_id, trace_id=trace_id, span_id=span_id)
