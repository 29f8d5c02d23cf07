"""The reachability matrix computed from the rendered NetworkPolicies equals the intended one.

Every pod the overlays create, plus five stand-ins for the rest of a cluster (the DNS server,
an application pod in a namespace labelled for telemetry, a pod in an unlabelled namespace,
an operator-run Prometheus in a namespace labelled as metrics scraper, and an address outside
the cluster: API server, kubelet, external stores), is an endpoint.
For each ordered pair and each port the destination listens on, the connection is allowed
when the source's egress and the destination's ingress both allow it (NetworkPolicy
semantics: a pod selected by no policy of a direction is open in that direction; policies
add up). ipBlock 0.0.0.0/0 is taken to match pod addresses too, the cautious reading.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pytest
from kube_render import Rendering

Flow = tuple[str, str, str]  # (source, destination, "PORT/PROTO")


@dataclass(frozen=True)
class Endpoint:
    name: str
    namespace: str | None  # None: outside the cluster
    labels: dict[str, str]
    ports: tuple[str, ...]
    ip: str
    ours: bool = True


def _port(number: int, protocol: str = "TCP") -> str:
    return f"{number}/{protocol}"


def _endpoints(rendering: Rendering) -> list[Endpoint]:
    out = []
    for i, obj in enumerate(rendering.of_kind("Deployment", "DaemonSet", "StatefulSet")):
        template = obj["spec"]["template"]
        ports = tuple(
            _port(p["containerPort"], p.get("protocol", "TCP"))
            for c in template["spec"]["containers"]
            for p in c.get("ports", [])
        )
        out.append(
            Endpoint(
                obj["metadata"]["name"],
                obj["metadata"]["namespace"],
                template["metadata"]["labels"],
                ports,
                f"10.244.0.{i + 10}",
            )
        )
    out += [
        Endpoint(
            "kube-dns",
            "kube-system",
            {"k8s-app": "kube-dns"},
            (_port(53, "UDP"), _port(53)),
            "10.244.1.2",
            ours=False,
        ),
        Endpoint("app", "apps", {"app": "other"}, (_port(8080),), "10.244.1.3", ours=False),
        Endpoint(
            "stranger", "elsewhere", {"app": "stranger"}, (_port(8080),), "10.244.1.4", ours=False
        ),
        Endpoint(
            "scraper",
            "monitoring",
            {"app": "operator-prometheus"},
            (_port(9090),),
            "10.244.1.5",
            ours=False,
        ),
        Endpoint(
            "external",
            None,
            {},
            tuple(_port(p) for p in (443, 5432, 6443, 9200, 10250)),
            "203.0.113.7",
            ours=False,
        ),
    ]
    return out


def _namespace_labels(rendering: Rendering) -> dict[str, dict[str, str]]:
    labels = {
        n["metadata"]["name"]: dict(n["metadata"].get("labels") or {})
        for n in rendering.of_kind("Namespace")
    }
    labels["kube-system"] = {}
    labels["apps"] = {"kansoku.io/telemetry": "enabled"}
    labels["elsewhere"] = {}
    labels["monitoring"] = {"kansoku.io/metrics-scraper": "enabled"}
    for name, values in labels.items():
        values["kubernetes.io/metadata.name"] = name  # set by the API server
    return labels


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        present = expr["key"] in labels
        value = labels.get(expr["key"])
        match expr["operator"]:
            case "In":
                ok = present and value in expr["values"]
            case "NotIn":
                ok = not present or value not in expr["values"]
            case "Exists":
                ok = present
            case "DoesNotExist":
                ok = not present
            case other:
                raise AssertionError(f"unknown operator {other}")
        if not ok:
            return False
    return True


def _peer_matches(
    peer: dict[str, Any], policy_ns: str, other: Endpoint, ns_labels: dict[str, dict[str, str]]
) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        address = ipaddress.ip_address(other.ip)
        if address not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(address in ipaddress.ip_network(c) for c in block.get("except", []))
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], ns_labels[other.namespace]):
            return False
    elif other.namespace != policy_ns:
        return False
    return _selects(peer.get("podSelector"), other.labels)


def _port_matches(rule: dict[str, Any], port: str) -> bool:
    if not rule.get("ports"):
        return True
    number, protocol = port.split("/")
    return any(
        str(p.get("port")) == number and p.get("protocol", "TCP") == protocol for p in rule["ports"]
    )


def _allowed(
    direction: str,
    me: Endpoint,
    other: Endpoint,
    port: str,
    policies: list[dict[str, Any]],
    ns_labels: dict[str, dict[str, str]],
) -> bool:
    kind, field, peers = (
        ("Ingress", "ingress", "from") if direction == "in" else ("Egress", "egress", "to")
    )
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == me.namespace
        and kind in p["spec"].get("policyTypes", ["Ingress"])
        and _selects(p["spec"]["podSelector"], me.labels)
    ]
    if me.namespace is None or not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(field) or []:
            if not _port_matches(rule, port):
                continue
            if not rule.get(peers) or any(
                _peer_matches(peer, policy["metadata"]["namespace"], other, ns_labels)
                for peer in rule[peers]
            ):
                return True
    return False


def reachability(rendering: Rendering) -> set[Flow]:
    """Every (source, destination, port) the rendered policies allow, among pairs with at
    least one of our pods."""
    policies = rendering.of_kind("NetworkPolicy")
    ns_labels = _namespace_labels(rendering)
    endpoints = _endpoints(rendering)
    flows = set()
    for src in endpoints:
        for dst in endpoints:
            if src is dst or not (src.ours or dst.ours):
                continue
            for port in dst.ports:
                if _allowed("out", src, dst, port, policies, ns_labels) and _allowed(
                    "in", dst, src, port, policies, ns_labels
                ):
                    flows.add((src.name, dst.name, port))
    return flows


DNS = {
    (src, "kube-dns", p)
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
    ("loki", "kube-dns", "53/UDP"),
    ("loki", "kube-dns", "53/TCP"),
}


OPENSEARCH_EXTRA: set[Flow] = {
    # components/opensearch: Jaeger's queries and writes (the cleaner is a CronJob, not an
    # endpoint here; the nodes' transport among themselves is one endpoint to itself, checked
    # in test_kubernetes_opensearch.py); DNS for the seed hosts.
    ("jaeger", "opensearch", "9200/TCP"),
    ("opensearch", "kube-dns", "53/UDP"),
    ("opensearch", "kube-dns", "53/TCP"),
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


def test_reachability_matrix_equals_the_intended_one(rendering: Rendering) -> None:
    actual = reachability(rendering)
    intended = _intended(rendering.name)
    assert not actual - intended, f"allowed but not intended: {sorted(actual - intended)}"
    assert not intended - actual, f"intended but blocked: {sorted(intended - actual)}"


@pytest.mark.parametrize(
    ("src", "dst", "port"),
    [
        ("stranger", "otel-collector", "4317/TCP"),
        ("stranger", "shop-backend", "8081/TCP"),
        ("shop-frontend", "jaeger", "4317/TCP"),
        ("shop-backend", "prometheus", "9090/TCP"),
        ("grafana", "jaeger", "4317/TCP"),
        ("loadgen", "shop-backend", "8081/TCP"),
        ("shop-backend", "victorialogs", "9428/TCP"),
        ("stranger", "victorialogs", "9428/TCP"),
        ("victorialogs", "external", "443/TCP"),
        ("shop-frontend", "alertmanager", "9093/TCP"),
        ("otel-collector", "alertmanager", "9093/TCP"),
    ],
)
def test_forbidden_flows_are_blocked(rendering: Rendering, src: str, dst: str, port: str) -> None:
    assert (src, dst, port) not in reachability(rendering)


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
    assert ("stranger", "jaeger", "4317/TCP") in reachability(empty)
