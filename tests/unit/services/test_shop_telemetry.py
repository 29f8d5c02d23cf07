"""The services' signals: custom metrics, exemplars, traces across both services, logs."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from shop_support import ADMIN_TOKEN, Signals, TestClient

from kansoku import conventions
from kansoku.services import telemetry
from kansoku.services.frontend.app import create_app as create_frontend

ROUTE, METHOD, STATUS = conventions.ATTR_ROUTE, conventions.ATTR_METHOD, conventions.ATTR_STATUS


def server_span(signals: Signals, name: str) -> ReadableSpan:
    found = [s for s in signals.finished_spans() if s.kind == SpanKind.SERVER and s.name == name]
    others = [(s.name, s.kind.name) for s in signals.finished_spans() if s.kind != SpanKind.CLIENT]
    assert len(found) == 1, others
    return found[0]


def test_server_metrics_carry_the_route_template_never_the_path(
    backend: TestClient, signals: Signals
) -> None:
    assert backend.get("/api/products/3").status_code == 200
    assert backend.get("/api/products/999").status_code == 404
    ok = {ROUTE: "/api/products/{product_id}", METHOD: "GET", STATUS: 200}
    [count] = signals.points("http.server.requests", **ok)
    assert count.value == 1
    [missing] = signals.points("http.server.requests", **{**ok, STATUS: 404})
    assert missing.value == 1
    for name in ("http.server.requests", "http.server.duration"):
        for point in signals.metric(name).data.data_points:
            assert set(point.attributes) == {ROUTE, METHOD, STATUS}
            assert "/3" not in str(point.attributes[ROUTE])


def test_units_and_instruments_are_those_of_the_conventions(
    backend: TestClient, signals: Signals
) -> None:
    backend.get("/api/products")
    for spec in conventions.METRICS:
        if spec.service != conventions.SHOP_BACKEND:
            continue
        metric = signals.metric(spec.otel_name)
        assert metric.unit == spec.unit
        kind = type(metric.data).__name__
        expected = {"counter": "Sum", "updowncounter": "Sum", "histogram": "Histogram"}
        assert kind == expected[spec.instrument]
        if spec.instrument != "histogram":
            assert metric.data.is_monotonic == (spec.instrument == "counter")


def test_duration_histogram_has_the_slo_and_apdex_bounds(
    backend: TestClient, signals: Signals
) -> None:
    backend.get("/api/products")
    [point] = signals.points("http.server.duration", **{ROUTE: "/api/products"})
    assert tuple(point.explicit_bounds) == conventions.DURATION_BUCKETS_SECONDS
    for bound in (
        conventions.SLO_LATENCY_THRESHOLD_SECONDS,
        conventions.APDEX_T_SECONDS,
        conventions.APDEX_4T_SECONDS,
    ):
        assert bound in point.explicit_bounds
    assert 0 < point.sum < 5  # seconds, not milliseconds


def test_duration_exemplar_carries_the_trace_id_of_its_request(
    backend: TestClient, signals: Signals
) -> None:
    backend.get("/api/products")
    span = server_span(signals, "GET /api/products")
    [point] = signals.points("http.server.duration", **{ROUTE: "/api/products"})
    assert [e.trace_id for e in point.exemplars] == [span.context.trace_id]


def test_active_connections_return_to_zero_after_requests(
    backend: TestClient, signals: Signals
) -> None:
    for _ in range(3):
        backend.get("/api/products")
    [point] = signals.points("http.server.active_connections")
    assert point.value == 0
    assert dict(point.attributes) == {METHOD: "GET"}


def test_unmatched_paths_and_unknown_methods_stay_bounded(
    backend: TestClient, signals: Signals
) -> None:
    backend.get("/no/such/page/12345")
    backend.request("BREW", "/api/products")
    [unmatched] = signals.points("http.server.requests", **{ROUTE: conventions.ROUTE_UNMATCHED})
    assert unmatched.attributes[STATUS] == 404
    [other] = signals.points("http.server.requests", **{METHOD: "_OTHER"})
    assert other.attributes[ROUTE] == "/api/products"


def test_health_checks_are_neither_counted_nor_traced(
    backend: TestClient, signals: Signals
) -> None:
    backend.get(conventions.HEALTH_PATH)
    names = [m.name for _, m in signals.metrics()]
    assert "http.server.requests" not in names
    assert not [s for s in signals.finished_spans() if s.kind == SpanKind.SERVER]


def test_auto_instrumentation_uses_stable_names_and_never_shadows_ours(
    backend: TestClient, signals: Signals
) -> None:
    backend.get("/api/products")
    ours = {m.otel_name for m in conventions.METRICS}
    by_scope = signals.metrics()
    assert {s for s, m in by_scope if m.name in ours} == {conventions.METER_NAME}
    auto = {m.name: m for s, m in by_scope if s != conventions.METER_NAME}
    # shop-backend publishes its own server metrics under the stable names (one set recorded).
    stable = {m.name: m for _, m in by_scope}
    assert stable["http.server.request.duration"].unit == "s"
    [point] = stable["http.server.request.duration"].data.data_points
    assert tuple(point.explicit_bounds) == conventions.DURATION_BUCKETS_SECONDS
    # Per-request histograms nothing reads are not recorded at all.
    assert not {n for n in auto if n.endswith(".body.size")}, sorted(auto)


def test_a_request_makes_one_server_span_and_one_span_per_statement(
    backend: TestClient, signals: Signals
) -> None:
    signals.spans.clear()
    assert backend.get("/api/products/1").status_code == 200
    spans = signals.finished_spans()
    assert "connect" not in {s.name for s in spans}
    server = [s for s in spans if s.kind == SpanKind.SERVER]
    statements = [s for s in spans if s.kind == SpanKind.CLIENT]
    assert len(server) == 1
    assert statements
    assert all(s.parent and s.parent.span_id == server[0].context.span_id for s in statements)
    assert len(spans) == len(server) + len(statements)


def test_an_old_convention_histogram_of_the_same_name_is_dropped() -> None:
    # With OTEL_SEMCONV_STABILITY_OPT_IN=http/dup the instrumentation would also record an
    # http.server.duration in milliseconds; the view keeps only ours under that name.
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], views=telemetry.views())
    provider.get_meter("opentelemetry.instrumentation.asgi").create_histogram(
        "http.server.duration", unit="ms"
    ).record(12.0)
    provider.get_meter(conventions.METER_NAME).create_histogram(
        "http.server.duration", unit="s"
    ).record(0.012)
    data = reader.get_metrics_data()
    assert data is not None
    found = [
        (scope.scope.name, metric.unit)
        for rm in data.resource_metrics
        for scope in rm.scope_metrics
        for metric in scope.metrics
        if metric.name == "http.server.duration"
    ]
    assert found == [(conventions.METER_NAME, "s")]
    provider.shutdown()


def test_pricing_span_has_attributes_and_an_event(backend: TestClient, signals: Signals) -> None:
    cart = backend.post("/api/carts").json()["id"]
    backend.post(f"/api/carts/{cart}/items", json={"product_id": 8, "quantity": 2})
    backend.post("/api/orders", json={"cart_id": cart, "email": "a@example.com"})
    [pricing] = [s for s in signals.finished_spans() if s.name == conventions.SPAN_PRICING]
    assert pricing.attributes is not None
    assert pricing.attributes["shop.pricing.subtotal_cents"] == 14_800
    assert pricing.attributes["shop.pricing.items"] == 2
    assert [e.name for e in pricing.events] == ["discount applied"]
    parent = server_span(signals, "POST /api/orders")
    assert pricing.parent is not None
    assert pricing.parent.span_id == parent.context.span_id


@pytest.fixture
def bridged_logs(signals: Signals) -> Iterator[Signals]:
    assert signals.telemetry.logger_provider is not None
    handler = telemetry.bridge_logging(signals.telemetry.logger_provider)
    logging.getLogger("kansoku").setLevel(logging.INFO)
    yield signals
    logging.getLogger().removeHandler(handler)


def test_checkout_is_one_trace_from_frontend_through_backend_to_the_database(
    frontend: TestClient, bridged_logs: Signals
) -> None:
    signals = bridged_logs
    frontend.post("/cart/items", data={"product_id": "2", "quantity": "1"})
    signals.spans.clear()
    response = frontend.post("/checkout", data={"email": "buyer@example.com"})
    assert response.status_code == 201, response.text
    spans = signals.finished_spans()
    page = server_span(signals, "POST /checkout")
    api = server_span(signals, "POST /api/orders")
    client = [s for s in spans if s.kind == SpanKind.CLIENT and s.name == "POST"]
    assert len(client) == 1
    assert {s.context.trace_id for s in spans} == {page.context.trace_id}
    assert client[0].parent is not None
    assert client[0].parent.span_id == page.context.span_id
    assert api.parent is not None
    assert api.parent.is_remote  # learnt from the traceparent header
    assert api.parent.span_id == client[0].context.span_id
    db = [s for s in spans if s.attributes and "db.system.name" in s.attributes]
    db += [s for s in spans if s.attributes and "db.system" in s.attributes]
    assert db, "no database spans"
    by_id = {s.context.span_id: s for s in spans}
    for statement in db:  # every statement hangs below the backend's server span
        node = statement
        while node.parent is not None and node.context.span_id != api.context.span_id:
            node = by_id[node.parent.span_id]
        assert node is api
    [placed] = [r for r in signals.finished_logs() if "order placed" in str(r.log_record.body)]
    assert placed.log_record.trace_id == page.context.trace_id
    assert placed.log_record.span_id == api.context.span_id


def test_a_log_record_carries_trace_span_severity_and_logger(
    frontend: TestClient, bridged_logs: Signals
) -> None:
    frontend.post("/cart/items", data={"product_id": "2", "quantity": "1"})
    assert frontend.post("/checkout", data={"email": "b@example.com"}).status_code == 201
    [placed] = [r for r in bridged_logs.finished_logs() if "order placed" in str(r.log_record.body)]
    api = server_span(bridged_logs, "POST /api/orders")
    record = placed.log_record
    assert (record.trace_id, record.span_id) == (api.context.trace_id, api.context.span_id)
    assert (record.severity_text, record.severity_number.name) == ("INFO", "INFO")
    assert placed.instrumentation_scope.name == "kansoku.services.backend.api"  # the logger


def test_a_failure_logged_with_its_exception_carries_type_and_stack(
    signals: Signals, bridged_logs: Signals
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    app = create_frontend(
        "http://shop-backend",
        signals.telemetry,
        admin_token=ADMIN_TOKEN,
        transport=httpx.MockTransport(refuse),
    )
    with TestClient(app) as client:
        assert client.get("/").status_code == 502
    [failed] = [r for r in bridged_logs.finished_logs() if "unreachable" in str(r.log_record.body)]
    record = failed.log_record
    assert record.severity_text == "ERROR"
    assert record.attributes["exception.type"] == "ConnectError"
    assert "Traceback" in str(record.attributes["exception.stacktrace"])
    assert record.span_id == server_span(signals, "GET /").context.span_id


def test_what_is_logged_about_exporting_is_never_exported(bridged_logs: Signals) -> None:
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, set_value

    for name in ("opentelemetry.exporter.otlp.proto.grpc.exporter", "grpc._channel", "urllib3"):
        logging.getLogger(name).warning("export failed, retrying")
    token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))  # as inside an export
    try:
        logging.getLogger("kansoku.anything").warning("logged while exporting")
    finally:
        detach(token)
    logging.getLogger("kansoku.anything").warning("an ordinary warning")
    bodies = [str(r.log_record.body) for r in bridged_logs.finished_logs()]
    assert bodies == ["an ordinary warning"]


def test_frontend_records_client_metrics_per_backend_route(
    frontend: TestClient, signals: Signals
) -> None:
    assert frontend.get("/products/4").status_code == 200
    attributes = {ROUTE: "/api/products/{product_id}", METHOD: "GET", STATUS: 200}
    [count] = signals.points("http.client.requests", **attributes)
    assert count.value == 1
    [duration] = signals.points("http.client.duration", **attributes)
    assert tuple(duration.explicit_bounds) == conventions.DURATION_BUCKETS_SECONDS
    assert signals.metric("http.client.duration").unit == "s"


def test_a_backend_outage_is_a_502_page_and_an_error_span(signals: Signals) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    app = create_frontend(
        "http://shop-backend",
        signals.telemetry,
        admin_token=ADMIN_TOKEN,
        transport=httpx.MockTransport(refuse),
    )
    with TestClient(app) as client:
        response = client.get("/")
    assert response.status_code == 502
    span = server_span(signals, "GET /")
    assert span.status.status_code == StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]
    [failed] = signals.points("http.client.requests", **{ROUTE: "/api/products"})
    assert failed.attributes[conventions.ATTR_ERROR_TYPE] == "ConnectError"
    assert STATUS not in failed.attributes


def test_service_name_and_resource_attributes_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "shop-backend-canary")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
    attributes = telemetry.resource(conventions.SHOP_BACKEND).attributes
    assert attributes["service.name"] == "shop-backend-canary"
    assert attributes["deployment.environment.name"] == "test"
    assert "service.namespace" not in attributes
    monkeypatch.delenv("OTEL_SERVICE_NAME")
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES")
    default = telemetry.resource(conventions.SHOP_BACKEND).attributes
    assert default["service.name"] == conventions.SHOP_BACKEND


def test_otel_sdk_disabled_means_no_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    tel = telemetry.setup(conventions.SHOP_BACKEND, install_global=False)
    assert not tel.enabled
    assert not tel.tracer.start_span("x").get_span_context().is_valid


def test_runtime_metrics_are_collected(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor

    reader = InMemoryMetricReader()
    tel = telemetry.setup(
        "runtime-test", metric_reader=reader, log_exporter=None, install_global=False
    )
    try:
        data = reader.get_metrics_data()
        assert data is not None
        names = {
            m.name for rm in data.resource_metrics for s in rm.scope_metrics for m in s.metrics
        }
        assert {"process.cpu.time", "process.memory.usage", "cpython.gc.collections"} <= names
        assert not any(n.startswith("system.") for n in names)  # host metrics are not ours
    finally:
        SystemMetricsInstrumentor().uninstrument()
        tel.shutdown(1.0)


def test_a_dead_collector_neither_slows_requests_nor_delays_exit(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from kansoku.services.backend.app import create_app
    from kansoku.services.backend.db import make_engine

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")  # discard port: closed
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    monkeypatch.setenv("OTEL_BLRP_SCHEDULE_DELAY", "50")
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "100")
    tel = telemetry.setup("dead-collector", install_global=False, runtime_metrics=False)
    db_file = tmp_path_factory.mktemp("dead") / "shop.db"
    app = create_app(make_engine(f"sqlite:///{db_file}"), tel)
    slowest = 0.0
    with TestClient(app) as client:
        for _ in range(40):
            start = time.perf_counter()
            assert client.get("/api/products").status_code == 200
            slowest = max(slowest, time.perf_counter() - start)
    assert slowest < 1.0  # an export retry (backoff 1s, 2s, ...) would show here
    start = time.perf_counter()
    tel.shutdown(1.0)
    assert time.perf_counter() - start < 1.5


def test_load_generator_requests_are_marked_by_their_user_agent(
    frontend: TestClient, signals: Signals
) -> None:
    frontend.get("/", headers={"User-Agent": conventions.LOADGEN_USER_AGENT})
    span = server_span(signals, "GET /")
    assert span.attributes is not None
    assert span.attributes["user_agent.original"] == conventions.LOADGEN_USER_AGENT
