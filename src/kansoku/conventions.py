"""Every name kansoku emits or listens on, in one place.

Ports, component names, environment variables and the telemetry names the shop services
emit (as written by the SDK and as they arrive in Prometheus) are defined here once; the
stack, the verifier, the SLO and dashboard generators and the tests import them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

PROJECT = "kansoku"

# --- components -------------------------------------------------------------------------

PROMETHEUS = "prometheus"
JAEGER = "jaeger"
COLLECTOR = "otel-collector"
SHOP_BACKEND = "shop-backend"
SHOP_FRONTEND = "shop-frontend"
LOADGEN = "loadgen"

# --- ports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Port:
    """A port some component listens on; ``key`` is what flags and env variables use."""

    key: str
    component: str
    default: int
    purpose: str

    @property
    def env(self) -> str:
        """The environment variable that overrides this port, e.g. ``KANSOKU_PORT_OTLP_GRPC``."""
        return "KANSOKU_PORT_" + self.key.upper().replace("-", "_")


PORTS: tuple[Port, ...] = (
    Port("prometheus", PROMETHEUS, 9090, "HTTP API, remote-write and OTLP receivers"),
    Port("jaeger-query", JAEGER, 16686, "query HTTP API"),
    Port("jaeger-query-grpc", JAEGER, 16685, "query gRPC API"),
    Port("jaeger-otlp-grpc", JAEGER, 14317, "OTLP gRPC receiver (collector to Jaeger)"),
    Port("jaeger-otlp-http", JAEGER, 14318, "OTLP HTTP receiver"),
    Port("jaeger-health", JAEGER, 14133, "health check"),
    Port("jaeger-metrics", JAEGER, 14269, "own metrics (Prometheus format)"),
    Port("otlp-grpc", COLLECTOR, 4317, "OTLP gRPC receiver"),
    Port("otlp-http", COLLECTOR, 4318, "OTLP HTTP receiver"),
    Port("collector-metrics", COLLECTOR, 8888, "own metrics (Prometheus format)"),
    Port("collector-health", COLLECTOR, 13133, "health check"),
    Port("collector-zpages", COLLECTOR, 55679, "zpages"),
    Port("collector-pprof", COLLECTOR, 1777, "pprof"),
    Port("shop-backend", SHOP_BACKEND, 8081, "shop JSON API"),
    Port("shop-frontend", SHOP_FRONTEND, 8080, "shop web pages"),
    Port("alertmanager", "alertmanager", 9093, "Alertmanager UI and API"),
    Port("alert-receiver", "alert-receiver", 9095, "local notification receiver"),
    Port("console", "console", 3000, "the console: dashboards, traces, links to the UIs"),
    Port("victorialogs", "victorialogs", 9428, "OTLP logs in, LogsQL queries, web UI"),
    Port("opensearch", "opensearch", 9200, "OpenSearch REST API (--jaeger-storage opensearch)"),
    Port("opensearch-transport", "opensearch", 9300, "OpenSearch node-to-node transport"),
)

PORTS_BY_KEY: dict[str, Port] = {p.key: p for p in PORTS}

# --- environment variables (ours; the OTel SDK reads the standard OTEL_* ones) ---------

ENV_DATA_DIR = "KANSOKU_DATA_DIR"
ENV_BIND_ADDRESS = "KANSOKU_BIND_ADDRESS"
ENV_CONFIG_DIR = "KANSOKU_CONFIG_DIR"
ENV_CACHE_DIR = "KANSOKU_CACHE_DIR"
ENV_PROMETHEUS_URL = "KANSOKU_PROMETHEUS_URL"
ENV_JAEGER_OTLP_ENDPOINT = "KANSOKU_JAEGER_OTLP_ENDPOINT"
ENV_COLLECTOR_STORAGE_DIR = "KANSOKU_COLLECTOR_STORAGE_DIR"
ENV_COLLECTOR_MEMORY_LIMIT_MIB = "KANSOKU_COLLECTOR_MEMORY_LIMIT_MIB"
ENV_JAEGER_BADGER_DIR = "KANSOKU_JAEGER_BADGER_DIR"
ENV_JAEGER_MAX_TRACES = "KANSOKU_JAEGER_MAX_TRACES"


def binary_env(name: str) -> str:
    """The variable that points at a prebuilt binary, e.g. ``KANSOKU_PROMTOOL_BIN``."""
    return "KANSOKU_" + name.upper().replace("-", "_") + "_BIN"


# --- Prometheus scrape jobs (names as they appear in the ``job`` label) -----------------

JOB_PROMETHEUS = "prometheus"
JOB_COLLECTOR = "otel-collector"
JOB_JAEGER = "jaeger"

# --- the shop services' custom metrics (see docs/telemetry.md) --------------------------


@dataclass(frozen=True)
class Metric:
    """A custom metric: its OTel name and unit, and the series it becomes in Prometheus."""

    otel_name: str
    instrument: str
    unit: str
    prometheus_name: str
    service: str


METRICS: tuple[Metric, ...] = (
    Metric(
        "http.server.requests", "counter", "{request}", "http_server_requests_total", SHOP_BACKEND
    ),
    Metric("http.server.duration", "histogram", "s", "http_server_duration_seconds", SHOP_BACKEND),
    Metric(
        "http.server.active_connections",
        "updowncounter",
        "{connection}",
        "http_server_active_connections",
        SHOP_BACKEND,
    ),
    Metric(
        "http.client.requests", "counter", "{request}", "http_client_requests_total", SHOP_FRONTEND
    ),
    Metric("http.client.duration", "histogram", "s", "http_client_duration_seconds", SHOP_FRONTEND),
)

METRICS_BY_OTEL_NAME: dict[str, Metric] = {m.otel_name: m for m in METRICS}

# Latency SLO threshold and Apdex T / 4T, all bucket bounds of the duration histograms.
SLO_LATENCY_THRESHOLD_SECONDS = 0.2
APDEX_T_SECONDS = 0.1
APDEX_4T_SECONDS = 0.4
DURATION_BUCKETS_SECONDS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.2,
    0.4,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

# Metric attributes (bounded cardinality only) and the labels they become.
ATTR_ROUTE = "http.route"
ATTR_METHOD = "http.request.method"
ATTR_STATUS = "http.response.status_code"
LABEL_ROUTE = "http_route"
LABEL_METHOD = "http_request_method"
LABEL_STATUS = "http_response_status_code"
# The collector's remote write turns service.name into the job label (no service.namespace set).
LABEL_SERVICE = "job"

# --- how local mode wires the shop services ---------------------------------------------

ENV_SHOP_BACKEND_URL = "KANSOKU_SHOP_BACKEND_URL"  # frontend -> backend base URL
ENV_SHOP_FRONTEND_URL = "KANSOKU_SHOP_FRONTEND_URL"  # load generator -> frontend base URL
ENV_ADMIN_TOKEN = "KANSOKU_ADMIN_TOKEN"  # noqa: S105 - a variable name; guards the services' fault-injection endpoint
ENV_LOADGEN_USERS = "KANSOKU_LOADGEN_USERS"
ENV_LOADGEN_SPAWN_RATE = "KANSOKU_LOADGEN_SPAWN_RATE"
HEALTH_PATH = "/healthz"  # readiness endpoint of both shop services

# --- shop services (names owned by kansoku.services) ------------------------------------

# Fault injection, per route template ("*" = every route), e.g. "/api/orders=0.5,*=0.05".
ENV_FAULT_ERROR_RATE = "KANSOKU_FAULT_ERROR_RATE"  # share of requests answered with 503
ENV_FAULT_LATENCY_MS = "KANSOKU_FAULT_LATENCY_MS"  # milliseconds added before handling
ADMIN_FAULTS_PATH = "/admin/faults"  # GET/PUT/DELETE with "Authorization: Bearer <token>"
# Database of shop-backend; SQLite under the data dir when unset.
ENV_DATABASE_URL = "DATABASE_URL"
# Load generator: think time between page views and an optional bound on the run.
ENV_LOADGEN_THINK_SECONDS = "KANSOKU_LOADGEN_THINK_SECONDS"
ENV_LOADGEN_RUN_SECONDS = "KANSOKU_LOADGEN_RUN_SECONDS"  # 0 = until SIGTERM
LOADGEN_USER_AGENT = "kansoku-loadgen/1"  # every load generator request says so
METER_NAME = "kansoku.services"  # instrumentation scope of the custom metrics and spans
ROUTE_UNMATCHED = "unmatched"  # http.route of a request that matched no route
ENV_LOG_LEVEL = "KANSOKU_LOG_LEVEL"  # level of the shop services' logs (INFO by default)
SPAN_PRICING = "shop.pricing"  # manual span around pricing at checkout (shop-backend)
SPAN_ATTR_PREFIX = "shop."  # prefix of the shop's own span and log attributes
ATTR_ERROR_TYPE = "error.type"  # http.client.* when no response came: the exception class name
LABEL_ERROR_TYPE = "error_type"
CART_COOKIE = "cart_id"  # shop-frontend keeps the visitor's cart id in this cookie

# --- SLOs and dashboards (names owned by kansoku.slo / kansoku.dashboards) ---
# Recording rules; a window suffix follows the ``_rate`` ones, e.g. ``slo:sli_error:ratio_rate5m``.
SLO_RECORD_ERROR_RATIO = "slo:sli_error:ratio_rate"  # share of bad events over the window
SLO_RECORD_BURN_RATE = "slo:burn_rate:ratio_rate"  # error ratio / error budget
SLO_RECORD_REQUESTS = "slo:sli_requests:rate"  # events per second (minimum-traffic guard only)
SLO_RECORD_BUDGET_REMAINING = "slo:error_budget_remaining:ratio"  # 1 = untouched, < 0 = overspent
SLO_RECORD_OBJECTIVE = "slo:objective:ratio"  # e.g. 0.999
SLO_RECORD_BURN_THRESHOLD = "slo:burn_rate_threshold:ratio"  # alert factor per long window
SLO_RECORD_EXHAUSTION = "slo:error_budget_exhaustion:seconds"  # time left at the current burn
# Labels every SLO series and alert carries.
SLO_LABEL_ID = "slo"  # "<service>-<name>", unique
SLO_LABEL_SERVICE = "slo_service"
SLO_LABEL_NAME = "slo_name"
SLO_LABEL_SEVERITY = "severity"  # "page" or "ticket"
SLO_LABEL_LONG_WINDOW = "long_window"
SLO_LABEL_SHORT_WINDOW = "short_window"
SLO_SEVERITIES: tuple[str, ...] = ("page", "ticket")
SLO_ALERT_BURN = "ErrorBudgetBurn"  # one rule per window pair, told apart by the window labels
SLO_ERROR_STATUS_REGEX = "5.."  # default bad events of an availability SLI
SLO_RULE_FILE_PREFIX = "slo-"  # config/prometheus/rules/slo-<slo id>.yaml
# The runbook anchor, joined to a base URL (``kansoku slo generate --runbook-base-url``).
SLO_RUNBOOK_PATH = "slo.md#when-an-error-budget-alert-fires"
# Grafana
DATASOURCE_PROMETHEUS_UID = "prometheus"
DATASOURCE_JAEGER_UID = "jaeger"
DASHBOARD_SLO_UID = "kansoku-slo"
DASHBOARD_SLO_FILE = "slo.json"  # under config/grafana/dashboards/

# --- dashboards (names owned by kansoku.dashboards) ---
# Dashboards beside the SLO one: uid and file name under config/grafana/dashboards/.
DASHBOARD_OVERVIEW_UID = "kansoku-overview"
DASHBOARD_OVERVIEW_FILE = "overview.json"
DASHBOARD_APPLICATION_UID = "kansoku-application"
DASHBOARD_APPLICATION_FILE = "application.json"
DASHBOARD_TRACES_UID = "kansoku-traces"
DASHBOARD_TRACES_FILE = "traces.json"
DASHBOARD_COLLECTOR_UID = "kansoku-collector"
DASHBOARD_COLLECTOR_FILE = "collector.json"
# Dashboard variables (the same name means the same thing on every dashboard).
VARIABLE_SERVICE = "service"
VARIABLE_ROUTE = "route"
VARIABLE_NAMESPACE = "namespace"
# Series of the collector's own telemetry as Prometheus scrapes it (job otel-collector, names
# without suffixes). The same series also come back through the collector's prometheus/self
# receiver and remote write, with an otel_scope_name label; the empty matcher excludes them.
COLLECTOR_SELECTOR = 'job="otel-collector", otel_scope_name=""'
# spanmetrics connector output (traces pipeline -> metrics pipeline) and its labels.
SPANMETRICS_CALLS = "traces_span_metrics_calls_total"
SPANMETRICS_DURATION = "traces_span_metrics_duration_milliseconds"
LABEL_SPAN_SERVICE = "service_name"
LABEL_SPAN_NAME = "span_name"
LABEL_SPAN_KIND = "span_kind"
LABEL_SPAN_STATUS = "status_code"
SPAN_STATUS_ERROR = "STATUS_CODE_ERROR"
# Collector health alerts (config/prometheus/rules/collector-health.yaml).
COLLECTOR_RULE_FILE = "collector-health.yaml"
ALERT_COLLECTOR_REFUSING = "CollectorRefusingTelemetry"
ALERT_COLLECTOR_RECEIVER_FAILING = "CollectorReceiverFailing"
ALERT_COLLECTOR_DROPPING = "CollectorDroppingTelemetry"
ALERT_COLLECTOR_QUEUE_FULL = "CollectorQueueNearlyFull"
ALERT_COLLECTOR_SERIES_LIMITED = "CollectorSeriesLimited"
# The series_limit processor's counter (collector/serieslimitprocessor), as scraped from :8888.
COLLECTOR_SERIES_DROPPED = "otelcol_processor_series_limit_dropped_data_points"
# The log_limit processor's counters (collector/loglimitprocessor), as scraped from :8888.
COLLECTOR_LOGS_TRUNCATED = "otelcol_processor_log_limit_truncated_log_records"
COLLECTOR_LOG_BYTES_REMOVED = "otelcol_processor_log_limit_removed_bytes"

# --- console (names owned by kansoku.console) ---
CONSOLE = "console"
# Same-origin paths the console's server proxies to each backend (docs/console.md says why).
CONSOLE_PROXY_PREFIX = "/api/"  # /api/<backend>/<path> goes to that backend
CONSOLE_PROXY_PROMETHEUS = CONSOLE_PROXY_PREFIX + "prometheus"
CONSOLE_DASHBOARDS_PATH = "/dashboards"  # GET /dashboards/<uid>.json: the Perses JSON
CONSOLE_STATUS_PATH = "/api/status"  # each component's health, what the landing page shows
CONSOLE_NOTIFICATIONS_PATH = "/api/notifications"  # what the local alert receiver got
ENV_CONSOLE_ASSETS = "KANSOKU_CONSOLE_ASSETS"  # a built console (dist/) instead of the cache

# --- alerting (names owned by kansoku.alerting) ---
ALERTMANAGER = "alertmanager"
ALERT_RECEIVER = "alert-receiver"
# Links in alerts are absolute, so a pager or chat client can open them. The defaults serve a
# person at this machine: the local receiver serves docs/ (the runbooks) and port 3000 is
# Grafana's (a port-forward in Kubernetes) and the local console's. A deployment regenerates
# the rules with its own bases (docs/alerting.md).
RUNBOOK_BASE_URL = "http://127.0.0.1:9095/docs/"
DASHBOARD_BASE_URL = "http://127.0.0.1:3000"
# External labels on every alert, from the environment of Prometheus (config/prometheus).
ENV_CLUSTER = "KANSOKU_CLUSTER"
ENV_ENVIRONMENT = "KANSOKU_ENVIRONMENT"
LABEL_CLUSTER = "cluster"
LABEL_ENVIRONMENT = "environment"
LOCAL_CLUSTER = "local"
LOCAL_ENVIRONMENT = "local"
# Labels the Alertmanager routes on (config/alertmanager/alertmanager.yaml).
LABEL_TEAM = "team"
ALERT_WATCHDOG = "Watchdog"  # always firing: the dead man's switch
JOB_ALERTMANAGER = "alertmanager"
# Files beside alertmanager.yaml (relative to it) that hold receiver URLs and secrets.
ALERTMANAGER_SECRETS_DIR = "secrets"
ALERTMANAGER_URL_FILES: tuple[str, ...] = (
    "default-webhook-url",
    "page-webhook-url",
    "ticket-webhook-url",
    "shop-page-webhook-url",
    "shop-ticket-webhook-url",
    "watchdog-webhook-url",
)
# The local receiver: notifications in append-only JSON lines under the data dir.
ALERT_RECEIVER_WEBHOOK_PATH = "/webhook"  # /webhook/<receiver name>
ALERT_RECEIVER_DOCS_PATH = "/docs/"
ALERT_RECEIVER_LOG = "alert-receiver/notifications.jsonl"  # under the data dir

# --- telemetry feature switches (the overhead bench's per-feature cost table) ---
# Comma-separated feature names (kansoku.services.telemetry_features.FEATURES) switched off or
# on in the shop services' telemetry set-up; the bench uses them, nothing else sets them.
ENV_TELEMETRY_OFF = "KANSOKU_TELEMETRY_OFF"
ENV_TELEMETRY_ON = "KANSOKU_TELEMETRY_ON"
# Web UIs of the local stack, shown by `kansoku status` and the console's landing page:
# (port key, name, path, what for). One appears once its port key exists.
UIS: tuple[tuple[str, str, str, str], ...] = (
    ("console", "console", "/", "dashboards, traces, links to the UIs below"),
    ("prometheus", "Prometheus", "/", "queries, targets, rules, alerts"),
    ("alertmanager", "Alertmanager", "/", "alerts, silences, routes"),
    ("victorialogs", "VictoriaLogs", "/select/vmui/", "logs"),
)

# --- logs (VictoriaLogs: the log store, stack/components/victorialogs.py, docs/logs.md) ---
VICTORIALOGS = "victorialogs"
ENV_VICTORIALOGS_URL = "KANSOKU_VICTORIALOGS_URL"  # collector -> VictoriaLogs base URL
VICTORIALOGS_UI_PATH = "/select/vmui/"  # the web UI embedded in the binary
VICTORIALOGS_HEALTH_PATH = "/health"
VICTORIALOGS_QUERY_PATH = "/select/logsql/query"  # LogsQL; JSON lines out
# Log fields as VictoriaLogs stores an OTLP record: the body becomes _msg, resource and record
# attributes keep their names (service.name, exception.type, ...).
LOG_FIELD_MESSAGE = "_msg"
LOG_FIELD_STREAM = "_stream"
LOG_FIELD_TRACE_ID = "trace_id"
LOG_FIELD_SPAN_ID = "span_id"
LOG_FIELD_SEVERITY = "severity_text"
LOG_FIELD_SERVICE = "service.name"
# Set by the collector's log_limit processor on a record whose body it cut: the size before.
LOG_FIELD_BODY_ORIGINAL_BYTES = "kansoku.log.body_original_bytes"
DATASOURCE_VICTORIALOGS_UID = "victorialogs"
DATASOURCE_VICTORIALOGS_TYPE = "victoriametrics-logs-datasource"

# --- cluster (the control plane the manifests are tested against) ---------------------

CLUSTER_NODES = 3  # simulated nodes, one per zone, so spread constraints can be met
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
# The labels that mark our objects: the stack's and the shop's.
PART_OF_LABEL = "app.kubernetes.io/part-of"
PART_OF_VALUES = ("kansoku", "kansoku-shop")

# --- the one-node cluster with real containers (kansoku cluster up --real-node) ---
REAL_NODE_NETNS_PREFIX = "kansoku-node-"  # + a per-run suffix: /run/netns/<name>
REAL_NODE_NAME = "kansoku-node"
REAL_NODE_IP = "10.77.0.10"  # the node's address, inside its own network namespace only
REAL_NODE_POD_CIDR = "10.244.0.0/24"
REAL_NODE_CLUSTER_CIDR = "10.244.0.0/16"
REAL_NODE_SERVICE_IP = "10.96.0.1"  # the ``kubernetes`` Service (first of the service range)
REAL_NODE_DNS_IP = "10.96.0.10"  # the cluster DNS Service's ClusterIP
REAL_NODE_CLUSTER_DOMAIN = "cluster.local"
REAL_NODE_PAUSE_IMAGE = "localhost/pause:3.10"  # the sandbox image, imported, never pulled
# shop-backend's admin token there (its fault endpoint): a Secret of the shop's namespace
# the real-node tests create before applying, read by tests/cluster/components/real-node.
REAL_NODE_ADMIN_SECRET = "shop-backend-admin"  # noqa: S105 - a Secret's name, not its value
REAL_NODE_ADMIN_SECRET_KEY = "token"  # noqa: S105 - the key within it, not its value

# --- traces on OpenSearch (stack/components/opensearch.py, docs/traces.md) ---------------
OPENSEARCH = "opensearch"
ENV_JAEGER_OPENSEARCH_URLS = "KANSOKU_JAEGER_OPENSEARCH_URLS"  # Jaeger -> OpenSearch, a list
ENV_JAEGER_OPENSEARCH_REPLICAS = "KANSOKU_JAEGER_OPENSEARCH_REPLICAS"
ENV_JAEGER_OPENSEARCH_SPAN_SHARDS = "KANSOKU_JAEGER_OPENSEARCH_SPAN_SHARDS"
ENV_OPENSEARCH_HEAP = "KANSOKU_OPENSEARCH_HEAP"
ENV_TRACES_RETENTION_DAYS = "KANSOKU_TRACES_RETENTION_DAYS"
JAEGER_INDEX_PREFIX = "kansoku"  # Jaeger's indices: kansoku-jaeger-span-2026-12-06, ...
JAEGER_SPAN_INDEX = JAEGER_INDEX_PREFIX + "-jaeger-span-"
JAEGER_SERVICE_INDEX = JAEGER_INDEX_PREFIX + "-jaeger-service-"
