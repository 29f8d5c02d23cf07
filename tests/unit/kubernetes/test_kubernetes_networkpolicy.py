"""The reachability computed from the rendered NetworkPolicies (kansoku.cluster.networkpolicy)
equals the intended one, and reproduces the expected column of its matrix, the table the
real-node tests enforce on running pods."""

from __future__ import annotations

import pytest
from kube_render import Rendering

from kansoku.cluster.networkpolicy import MATRIX, Flow, Probe, reachability

# DNS on port 53 to any address: CoreDNS pods, or a node-local cache / the node's own server.
DNS = {
    (src, dst, p)
    for dst in ("kube-dns", "external")
    for p in ("53/UDP", "53/TCP")
    for src in (
        "otel-collector",
        "otel-agent",
        "prometheus",
        "jaeger",
        "grafana",
        "victorialogs",
        "alertmanager",
        "shop-backend",
        "shop-frontend",
        "loadgen",
    )
}
OTLP = {
    (src, "otel-collector", p)
    for p in ("4317/TCP", "4318/TCP")
    for src in ("shop-backend", "shop-frontend", "loadgen", "app")
}
API = {
    (src, "external", p)
    for p in ("443/TCP", "6443/TCP")
    for src in ("otel-collector", "otel-agent", "prometheus")
}
INTENDED: set[Flow] = (
    DNS
    | OTLP
    | API
    | {
        ("otel-agent", "external", "10250/TCP"),  # kubelets
        ("otel-collector", "jaeger", "4317/TCP"),  # traces
        ("otel-collector", "victorialogs", "9428/TCP"),  # logs (OTLP/HTTP ingest)
        ("grafana", "victorialogs", "9428/TCP"),  # LogsQL queries
        ("prometheus", "victorialogs", "9428/TCP"),  # scrapes
        ("grafana", "external", "443/TCP"),  # the logs plugin's download (init container)
        ("prometheus", "alertmanager", "9093/TCP"),  # alerts, and its scrape
        ("grafana", "alertmanager", "9093/TCP"),  # the Alertmanager datasource
        ("alertmanager", "external", "443/TCP"),  # receivers: webhooks, Slack, PagerDuty
        ("otel-collector", "prometheus", "9090/TCP"),  # remote write
        ("otel-agent", "prometheus", "9090/TCP"),  # remote write (cluster metrics)
        ("jaeger", "prometheus", "9090/TCP"),  # Monitor tab (SPM)
        ("grafana", "prometheus", "9090/TCP"),
        ("grafana", "jaeger", "16686/TCP"),
        ("prometheus", "otel-collector", "8888/TCP"),  # scrapes
        ("prometheus", "jaeger", "8888/TCP"),
        ("prometheus", "app", "8080/TCP"),  # annotated pods of telemetry namespaces
        ("shop-frontend", "shop-backend", "8081/TCP"),
        ("loadgen", "shop-frontend", "8080/TCP"),
    }
)
PRODUCTION_EXTRA: set[Flow] = {
    ("jaeger", "external", "9200/TCP"),  # OpenSearch/Elasticsearch
    ("grafana", "external", "5432/TCP"),  # PostgreSQL
}
SCRAPER_EXTRA: set[Flow] = {
    # components/servicemonitors: the Prometheus Operator's Prometheus (its namespace labelled
    # kansoku.io/metrics-scraper=enabled) reaches the metrics ports, nothing else.
    ("scraper", "otel-collector", "8888/TCP"),
    ("scraper", "jaeger", "8888/TCP"),
    ("scraper", "prometheus", "9090/TCP"),
}


LOKI_EXTRA: set[Flow] = {
    # components/loki: OTLP in from the collector, queries from Grafana, scrapes; DNS.
    ("otel-collector", "loki", "3100/TCP"),
    ("grafana", "loki", "3100/TCP"),
    ("prometheus", "loki", "3100/TCP"),
    *(("loki", dst, p) for dst in ("kube-dns", "external") for p in ("53/UDP", "53/TCP")),
}


OPENSEARCH_EXTRA: set[Flow] = {
    # components/opensearch: Jaeger's queries and writes (the cleaner is a CronJob, not an
    # endpoint here; the nodes' transport among themselves is one endpoint to itself, checked
    # in test_kubernetes_opensearch.py); DNS for the seed hosts.
    ("jaeger", "opensearch", "9200/TCP"),
    *(("opensearch", dst, p) for dst in ("kube-dns", "external") for p in ("53/UDP", "53/TCP")),
}


def _intended(name: str) -> set[Flow]:
    if name == "dev":
        return INTENDED
    extra = PRODUCTION_EXTRA | (SCRAPER_EXTRA if name.endswith("servicemonitors") else set())
    if name.endswith("+loki"):
        extra |= LOKI_EXTRA
    if name.endswith("+opensearch"):
        extra |= OPENSEARCH_EXTRA
    return INTENDED | extra


def test_reachability_equals_the_intended_one(rendering: Rendering) -> None:
    actual = reachability(rendering.objects)
    intended = _intended(rendering.name)
    assert not actual - intended, f"allowed but not intended: {sorted(actual - intended)}"
    assert not intended - actual, f"intended but blocked: {sorted(intended - actual)}"


@pytest.mark.parametrize("probe", MATRIX, ids=lambda p: "{} -> {} {}".format(*p.flow))
def test_the_policies_reproduce_the_expected_column_of_the_matrix(
    rendering: Rendering, probe: Probe
) -> None:
    seen = probe.flow in reachability(rendering.objects)
    assert seen == probe.allowed, f"{probe.flow}: expected allowed={probe.allowed} ({probe.why})"


def test_the_real_node_rendering_reproduces_the_matrix(real_node: Rendering) -> None:
    """The dev overlay less Grafana (its side played by a pod with its labels)."""
    actual = reachability(real_node.objects)
    assert actual == INTENDED, sorted(actual ^ INTENDED)
    wrong = [p.flow for p in MATRIX if (p.flow in actual) != p.allowed]
    assert not wrong, wrong


def test_the_matrix_has_both_answers_and_names_real_pods(renderings: dict[str, Rendering]) -> None:
    """Not vacuous: rows of both kinds, every destination a rendered pod with that port."""
    assert {p.allowed for p in MATRIX} == {True, False}
    assert len({p.flow for p in MATRIX}) == len(MATRIX), "a row is listed twice"
    dev = renderings["dev"]
    ports = {
        o["metadata"]["name"]: {
            f"{p['containerPort']}/{p.get('protocol', 'TCP')}"
            for c in o["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        }
        for o in dev.of_kind("Deployment", "StatefulSet", "DaemonSet")
    }
    for probe in MATRIX:
        assert probe.port in ports.get(probe.destination, set()), probe.flow


def test_a_pod_without_policies_is_open_in_the_model() -> None:
    """The model's baseline: with no policy, everything flows (so the matrix is not vacuous)."""
    empty = Rendering(
        "empty",
        "",
        [
            {"kind": "Namespace", "metadata": {"name": "observability"}},
            {"kind": "Namespace", "metadata": {"name": "default"}},
            {
                "kind": "Deployment",
                "metadata": {"name": "jaeger", "namespace": "observability"},
                "spec": {
                    "template": {
                        "metadata": {"labels": {"app": "j"}},
                        "spec": {"containers": [{"ports": [{"containerPort": 4317}]}]},
                    }
                },
            },
        ],
    )
    assert ("stranger", "jaeger", "4317/TCP") in reachability(empty.objects)
