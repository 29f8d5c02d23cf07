"""OpenTelemetry SDK setup shared by the shop services: traces, metrics and logs.

Everything is configured from the standard ``OTEL_*`` variables (service name, resource
attributes, endpoint, protocol, export interval, ``OTEL_{TRACES,METRICS,LOGS}_EXPORTER``,
``OTEL_SDK_DISABLED``). Telemetry must never hurt the service, so:

- spans and logs go through batch processors with bounded queues (overflow is dropped, a
  request never waits on an export) and metrics are exported by a background reader;
- the SDK's own loggers never feed the OTLP log handler, so an unreachable collector cannot
  turn its retry warnings into more telemetry;
- shutdown flushes with a short timeout.

Histograms get the explicit buckets of ``conventions.DURATION_BUCKETS_SECONDS`` (SLO threshold,
Apdex T and 4T are bounds) and trace-based exemplars. Auto-instrumentation is switched to the
stable HTTP semantic conventions, and any instrument of an instrumentation library that would
share a name with one of our custom metrics is dropped by a view, so the names in
``conventions.METRICS`` always mean our metrics.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from opentelemetry import metrics, trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.context import Context
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    ConsoleLogRecordExporter,
    LogRecordExporter,
)
from opentelemetry.sdk.metrics import (
    AlwaysOffExemplarFilter,
    Exemplar,
    ExemplarFilter,
    ExemplarReservoir,
    MeterProvider,
    TraceBasedExemplarFilter,
)
from opentelemetry.sdk.metrics._internal.exemplar import ExemplarReservoirBuilder
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    InMemoryMetricReader,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import DropAggregation, ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.util.types import Attributes

from kansoku import conventions
from kansoku.services.telemetry_features import Features
from kansoku.services.telemetry_features import from_env as features_from_env

_log = logging.getLogger(__name__)

# Instrumentation scopes that could create an instrument named like one of ours (the
# old HTTP semantic conventions name their histograms http.server.duration and
# http.client.duration, in milliseconds).
_INSTRUMENTATION_METERS = (
    "opentelemetry.instrumentation.asgi",
    "opentelemetry.instrumentation.fastapi",
    "opentelemetry.instrumentation.httpx",
)
# Runtime metrics of the process; host-wide system.* metrics are the collector's job.
_RUNTIME_METRICS: dict[str, list[str] | None] = {
    "process.cpu.time": ["user", "system"],
    "process.cpu.utilization": ["user", "system"],
    "process.memory.usage": None,
    "process.memory.virtual": None,
    "process.thread.count": None,
    "process.open_file_descriptor.count": None,
    "process.context_switches": ["involuntary", "voluntary"],
    "cpython.gc.collections": None,
    "cpython.gc.collected_objects": None,
    "cpython.gc.uncollectable_objects": None,
}
# Histograms the HTTP instrumentation records per request that no dashboard, rule or SLO
# reads; dropped by a view, they are neither aggregated, nor offered exemplars, nor exported.
_UNUSED = (
    "http.server.request.body.size",
    "http.server.response.body.size",
    "http.client.request.body.size",
    "http.client.response.body.size",
)
# Our server metrics and the stable-convention names they are also published under.
_COPIED = {
    "http.server.duration": "http.server.request.duration",
    "http.server.active_connections": "http.server.active_requests",
}
_QUEUE_SIZE = 2048  # spans / log records held while the collector is slow; more are dropped
SEMCONV_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
Signal = Literal["traces", "metrics", "logs"]


@dataclass
class Telemetry:
    """The providers of one service process, and how to stop them."""

    tracer_provider: trace.TracerProvider
    meter_provider: metrics.MeterProvider
    logger_provider: LoggerProvider | None
    enabled: bool = True
    features: Features = field(default_factory=Features)
    _handlers: list[logging.Handler] = field(default_factory=list)

    @property
    def tracer(self) -> trace.Tracer:
        return self.tracer_provider.get_tracer(conventions.METER_NAME)

    @property
    def meter(self) -> metrics.Meter:
        return self.meter_provider.get_meter(conventions.METER_NAME)

    def shutdown(self, timeout_seconds: float = 2.0) -> None:
        """Flush and stop every signal, in parallel, giving up after ``timeout_seconds``.

        The SDK's own flush ignores its timeout while an exporter retries (up to
        ``OTEL_EXPORTER_OTLP_TIMEOUT``), so each provider stops in a daemon thread that is
        abandoned at the deadline: a dead collector costs the exit at most the timeout.
        """
        for handler in self._handlers:
            logging.getLogger().removeHandler(handler)
        millis = int(timeout_seconds * 1000)
        stops: list[Callable[[], object]] = []
        if isinstance(self.tracer_provider, TracerProvider):
            stops.append(self.tracer_provider.shutdown)
        if isinstance(self.meter_provider, MeterProvider):
            stops.append(functools.partial(self.meter_provider.shutdown, millis))
        if self.logger_provider is not None:
            stops.append(self.logger_provider.shutdown)
        threads = [threading.Thread(target=stop, daemon=True) for stop in stops]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout_seconds
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in threads):
            _log.warning("telemetry not flushed within %.1fs; the rest is dropped", timeout_seconds)


def views(features: Features | None = None) -> list[View]:
    """Buckets for every duration histogram, and drops for instruments that shadow ours."""
    buckets = ExplicitBucketHistogramAggregation(list(conventions.DURATION_BUCKETS_SECONDS))
    copies = features is None or features.enabled("http-metrics")
    result = _stable_copies(buckets) if copies else []
    result += [
        View(instrument_name=m.otel_name, meter_name=conventions.METER_NAME, **_NO_EXEMPLARS)
        for m in conventions.METRICS
        if m.instrument != "histogram" and not (copies and m.otel_name in _COPIED)
    ]
    result += [
        View(instrument_name=m.otel_name, meter_name=conventions.METER_NAME, aggregation=buckets)
        for m in conventions.METRICS
        if m.instrument == "histogram"
    ]
    # The stable-convention histograms of the auto-instrumentation get the same bounds, so
    # they can be compared with ours and answer the same SLO questions.
    result.append(View(instrument_name="http.*.request.duration", aggregation=buckets))
    result += [
        View(instrument_name=m.otel_name, meter_name=scope, aggregation=DropAggregation())
        for m in conventions.METRICS
        for scope in _INSTRUMENTATION_METERS
    ]
    result += [View(instrument_name=name, aggregation=DropAggregation()) for name in _UNUSED]
    return result


def _stable_copies(buckets: ExplicitBucketHistogramAggregation) -> list[View]:
    """Our server metrics again under the stable names, from the same measurements.

    The overview dashboard reads ``http.server.request.duration`` and
    ``http.server.active_requests`` for every service. Where our middleware records the
    server metrics (shop-backend), these views publish its measurements under those names
    too, so the FastAPI instrumentation there records no second set (``web.instrument``):
    one measurement feeding two streams costs far less than the instrumentation's own
    attribute parsing and recording.
    """
    meter = conventions.METER_NAME
    duration, active = _COPIED
    return [
        View(
            instrument_name=duration,
            meter_name=meter,
            name=_COPIED[duration],
            aggregation=buckets,
        ),
        View(instrument_name=active, meter_name=meter, name=_COPIED[active], **_NO_EXEMPLARS),
        # A renaming view replaces the default stream: the counter keeps its own name too.
        View(instrument_name=active, meter_name=meter, **_NO_EXEMPLARS),
    ]


class _NoExemplars(ExemplarReservoir):
    """Keeps no exemplar. Only the duration histograms' exemplars are read (they link a
    latency to its trace); on a counter every measurement in a sampled span would otherwise
    go through a random-replacement reservoir for nothing."""

    def __init__(self, **_kwargs: Any) -> None:
        super().__init__()

    def offer(
        self, value: float, time_unix_nano: int, attributes: Attributes, context: Context
    ) -> None:
        return None

    def collect(self, point_attributes: Attributes) -> list[Exemplar]:
        return []


def _no_exemplars(_aggregation: type) -> ExemplarReservoirBuilder:
    # The SDK calls a builder with keyword arguments (size=, boundaries=), whatever its alias
    # says; the class takes and ignores them.
    return cast(ExemplarReservoirBuilder, _NoExemplars)


_NO_EXEMPLARS: dict[str, Any] = {"exemplar_reservoir_factory": _no_exemplars}


def opt_into_stable_http_semconv() -> None:
    """Make auto-instrumentation use the stable HTTP names (``http.server.request.duration``).

    Must run before the first instrumentor is created; the library reads it once.
    """
    current = [s.strip() for s in os.environ.get(SEMCONV_OPT_IN, "").split(",") if s.strip()]
    if not {"http", "http/dup"} & set(current):
        os.environ[SEMCONV_OPT_IN] = ",".join([*current, "http"])


def resource(default_service_name: str) -> Resource:
    """``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES`` win; the default fills a gap."""
    detected = Resource.create({"service.instance.id": uuid.uuid4().hex})
    name = str(detected.attributes.get("service.name", ""))
    if name.startswith("unknown_service"):
        detected = detected.merge(Resource({"service.name": default_service_name}))
    return detected


def _exporter_choice(signal: Signal) -> str:
    return os.environ.get(f"OTEL_{signal.upper()}_EXPORTER", "otlp").strip().lower() or "otlp"


def _use_http() -> bool:
    return os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc").strip() in (
        "http/protobuf",
        "http",
    )


def _span_exporter() -> SpanExporter | None:
    choice = _exporter_choice("traces")
    if choice == "console":
        return ConsoleSpanExporter(out=sys.stderr)
    if choice != "otlp":
        return None
    if _use_http():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as H

        return H()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as G

    return G()


def _metric_exporter() -> MetricExporter | None:
    choice = _exporter_choice("metrics")
    if choice == "console":
        return ConsoleMetricExporter(out=sys.stderr)
    if choice != "otlp":
        return None
    if _use_http():
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as H,
        )

        return H()
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as G

    return G()


def _log_exporter() -> LogRecordExporter | None:
    choice = _exporter_choice("logs")
    if choice == "console":
        return ConsoleLogRecordExporter(out=sys.stderr)
    if choice != "otlp":
        return None
    if _use_http():
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as H

        return H()
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as G

    return G()


def sdk_disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def setup(
    default_service_name: str,
    *,
    span_processor: SpanProcessor | None = None,
    metric_reader: MetricReader | None = None,
    log_exporter: LogRecordExporter | None = None,
    install_global: bool = True,
    runtime_metrics: bool = True,
) -> Telemetry:
    """Build the providers of a service; tests pass in-memory processors/readers/exporters.

    With ``OTEL_SDK_DISABLED=true`` nothing is set up and the no-op API providers are used,
    which is the uninstrumented baseline for performance comparisons.
    """
    if sdk_disabled():
        return Telemetry(trace.NoOpTracerProvider(), metrics.NoOpMeterProvider(), None, False)
    features = features_from_env()
    opt_into_stable_http_semconv()
    res = resource(default_service_name)
    exporting = features.enabled("exporters")
    tracer_provider = TracerProvider(resource=res, shutdown_on_exit=False)
    exporter = _span_exporter() if span_processor is None and exporting else None
    if exporter is not None:
        span_processor = BatchSpanProcessor(exporter, max_queue_size=_QUEUE_SIZE)
    if span_processor is not None:
        tracer_provider.add_span_processor(span_processor)
    meter_provider = MeterProvider(
        metric_readers=_metric_readers(metric_reader, exporting),
        resource=res,
        views=views(features),
        exemplar_filter=_exemplar_filter(features),
        shutdown_on_exit=False,
    )
    logger_provider = LoggerProvider(resource=res, shutdown_on_exit=False)
    if log_exporter is None and exporting:
        log_exporter = _log_exporter()
    if log_exporter is not None:
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(log_exporter, max_queue_size=_QUEUE_SIZE)
        )
    telemetry = Telemetry(tracer_provider, meter_provider, logger_provider, features=features)
    if install_global:
        _install_global(telemetry)
    if runtime_metrics and features.enabled("runtime-metrics"):
        _instrument_runtime(meter_provider)
    return telemetry


def _metric_readers(given: MetricReader | None, exporting: bool) -> list[MetricReader]:
    if given is not None:
        return [given]
    if not exporting:
        # Aggregated as usual, collected only when asked: what export alone costs shows.
        return [InMemoryMetricReader()]
    metric_exporter = _metric_exporter()
    return [] if metric_exporter is None else [PeriodicExportingMetricReader(metric_exporter)]


def _exemplar_filter(features: Features) -> ExemplarFilter:
    if features.enabled("exemplars"):
        return TraceBasedExemplarFilter()
    return AlwaysOffExemplarFilter()


def _install_global(telemetry: Telemetry) -> None:
    trace.set_tracer_provider(telemetry.tracer_provider)
    metrics.set_meter_provider(telemetry.meter_provider)
    if telemetry.logger_provider is not None and telemetry.features.enabled("logs"):
        set_logger_provider(telemetry.logger_provider)
        telemetry._handlers.append(bridge_logging(telemetry.logger_provider))


def bridge_logging(logger_provider: LoggerProvider) -> logging.Handler:
    """Send stdlib log records (with the current trace and span ids) to ``logger_provider``.

    Each OTLP record carries the trace and span ids, the severity (text and number), the
    logger's name as its instrumentation scope and, for a record logged with an exception,
    ``exception.type``, ``exception.message`` and ``exception.stacktrace``.
    The logging instrumentation also puts ``otelTraceID``/``otelSpanID`` on every record, so
    the plain-text log line printed to stderr carries them too.
    """
    instrumentor = LoggingInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        # The handler is added below with an explicit provider, not by the instrumentor.
        instrumentor.instrument(inject_trace_context=True, enable_log_auto_instrumentation=False)
    handler = LoggingHandler(level=logging.INFO, logger_provider=logger_provider)
    handler.addFilter(_not_from_the_sdk)
    logging.getLogger().addHandler(handler)
    return handler


# Loggers of the SDK and of the transports its exporters use (gRPC, or requests/urllib3 for
# OTLP/HTTP): what they say is about exporting, and exporting it would feed an outage back
# into the queue it is failing to drain.
_EXPORT_LOGGERS = ("opentelemetry", "grpc", "urllib3", "requests")


def _not_from_the_sdk(record: logging.LogRecord) -> bool:
    if record.name.split(".", 1)[0] in _EXPORT_LOGGERS:
        return False
    # Whatever any library logs while an exporter runs (the SDK suppresses instrumentation
    # around every export) is about that export, too.
    return is_instrumentation_enabled()


def _instrument_runtime(meter_provider: MeterProvider) -> None:
    instrumentor = SystemMetricsInstrumentor(config=_RUNTIME_METRICS)
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(meter_provider=meter_provider)


def configure_stderr_logging() -> None:
    """Plain-text logs on stderr with the trace id, for the supervisor's log files."""
    root = logging.getLogger()
    if any(getattr(h, "_kansoku_stderr", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [trace_id=%(otelTraceID)s "
            "span_id=%(otelSpanID)s] %(message)s",
            defaults={"otelTraceID": "0", "otelSpanID": "0"},
        )
    )
    handler._kansoku_stderr = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(os.environ.get(conventions.ENV_LOG_LEVEL, "INFO").upper())
    # httpx logs every request line at INFO; the client span and metrics already say it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
