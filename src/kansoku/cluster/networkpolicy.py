"""Who may reach whom through the NetworkPolicies: one table, checked two ways.

``MATRIX`` lists connections (source, destination, port) with the expected answer. The
offline tests evaluate the rendered policies (``reachability``) and must reproduce the
expected column; the real-node tests open each connection from a pod standing in for the
source (``source_pod``: its namespace and labels) to the destination's pod address, under
kube-router's firewall, and print expected against seen.

The model: every pod a rendering creates, plus stand-ins for the rest of a cluster (the DNS
server, an application pod in a namespace labelled for telemetry, a pod in an unlabelled
namespace, an operator-run Prometheus in a namespace labelled as metrics scraper, a pod with
Grafana's labels where the rendering has no Grafana, and an address outside the cluster: API
server, kubelet, external stores). A connection is allowed when the source's egress and the
destination's ingress both allow it (a pod selected by no policy of a direction is open in
that direction; policies add up). ipBlock 0.0.0.0/0 is taken to match pod addresses too, the
cautious reading.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

Flow = tuple[str, str, str]  # (source, destination, "PORT/PROTO")
Objects = list[dict[str, Any]]

_NAME = "app.kubernetes.io/name"
_WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet")


@dataclass(frozen=True)
class Endpoint:
    """A pod (or, with ``namespace`` None, an address outside the cluster)."""

    name: str
    namespace: str | None
    labels: dict[str, str]
    ports: tuple[str, ...]
    ip: str
    ours: bool = True


@dataclass(frozen=True)
class Probe:
    """One row of the matrix: may ``source`` open ``port`` on ``destination``?"""

    source: str
    destination: str
    port: str  # "4317/TCP"
    allowed: bool
    why: str

    @property
    def flow(self) -> Flow:
        return (self.source, self.destination, self.port)


def _allow(src: str, dst: str, port: str, why: str) -> Probe:
    return Probe(src, dst, port, True, why)


def _deny(src: str, dst: str, port: str, why: str) -> Probe:
    return Probe(src, dst, port, False, why)


# Sources are our pods or the stand-ins "app", "stranger" and "grafana"; destinations are
# our pods only (a real-node test dials the pod's address, never a Service, so the row names
# exactly one pod). Each row holds for every overlay and component.
MATRIX: tuple[Probe, ...] = (
    # Only applications reach the collector: namespaces labelled kansoku.io/telemetry=enabled.
    _allow("shop-frontend", "otel-collector", "4317/TCP", "OTLP/gRPC from the shop's namespace"),
    _allow("shop-backend", "otel-collector", "4318/TCP", "OTLP/HTTP from the shop's namespace"),
    _allow("app", "otel-collector", "4317/TCP", "OTLP from any telemetry-labelled namespace"),
    _deny("stranger", "otel-collector", "4317/TCP", "namespace without the telemetry label"),
    _deny("stranger", "otel-collector", "4318/TCP", "namespace without the telemetry label"),
    # The collector's exports.
    _allow("otel-collector", "jaeger", "4317/TCP", "spans to Jaeger"),
    _allow("otel-collector", "victorialogs", "9428/TCP", "logs to VictoriaLogs"),
    _allow("otel-collector", "prometheus", "9090/TCP", "remote write"),
    # Prometheus reaches its scrape targets and the Alertmanager.
    _allow("prometheus", "otel-collector", "8888/TCP", "scrape"),
    _allow("prometheus", "jaeger", "8888/TCP", "scrape"),
    _allow("prometheus", "victorialogs", "9428/TCP", "scrape"),
    _allow("prometheus", "alertmanager", "9093/TCP", "alerts and scrape"),
    # Only the named consumers reach Prometheus.
    _allow("grafana", "prometheus", "9090/TCP", "Grafana's datasource"),
    _allow("jaeger", "prometheus", "9090/TCP", "Jaeger's Monitor tab"),
    _deny("stranger", "prometheus", "9090/TCP", "default-deny: Prometheus"),
    _deny("shop-backend", "prometheus", "9090/TCP", "applications write through the collector"),
    _deny("app", "prometheus", "9090/TCP", "applications write through the collector"),
    _deny("victorialogs", "prometheus", "9090/TCP", "VictoriaLogs initiates nothing"),
    _deny("alertmanager", "prometheus", "9090/TCP", "not a named consumer"),
    # Default-deny: one port of each store, from outside and from the applications.
    _deny("stranger", "jaeger", "16686/TCP", "default-deny: Jaeger"),
    _deny("shop-frontend", "jaeger", "4317/TCP", "applications write through the collector"),
    _deny("grafana", "jaeger", "4317/TCP", "Grafana reads the query port only"),
    _deny("stranger", "victorialogs", "9428/TCP", "default-deny: VictoriaLogs"),
    _deny("shop-backend", "victorialogs", "9428/TCP", "applications write through the collector"),
    _deny("stranger", "alertmanager", "9093/TCP", "default-deny: Alertmanager"),
    _deny("shop-frontend", "alertmanager", "9093/TCP", "only Prometheus and Grafana"),
    _deny("otel-collector", "alertmanager", "9093/TCP", "only Prometheus and Grafana"),
    # The node agent admits no one (the kubelet's probes come from the node itself). Only a
    # destination here: a stand-in pod with its labels would be adopted by its DaemonSet and
    # deleted as a second pod on the node; its egress (kubelet, remote write) is what the
    # real-node test of its metrics in Prometheus uses.
    _deny("stranger", "otel-agent", "13133/TCP", "the agent admits no one"),
    _deny("prometheus", "otel-agent", "13133/TCP", "the agent admits no one"),
    # The shop: loadgen -> frontend -> backend, nothing else.
    _allow("loadgen", "shop-frontend", "8080/TCP", "the load"),
    _allow("shop-frontend", "shop-backend", "8081/TCP", "the shop's API"),
    _deny("loadgen", "shop-backend", "8081/TCP", "the backend admits the frontend only"),
    _deny("stranger", "shop-backend", "8081/TCP", "the backend admits the frontend only"),
)


def _port(number: int, protocol: str = "TCP") -> str:
    return f"{number}/{protocol}"


GRAFANA_LABELS = {_NAME: "grafana", "app.kubernetes.io/part-of": "kansoku"}
STAND_INS: tuple[Endpoint, ...] = (
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
        # DNS too: a node-local cache or a node's own DNS server is no pod.
        (_port(53, "UDP"), *(_port(p) for p in (53, 443, 5432, 6443, 9200, 10250))),
        "203.0.113.7",
        ours=False,
    ),
)
# Labels of the stand-ins' namespaces (kubernetes.io/metadata.name is added for all).
STAND_IN_NAMESPACES: dict[str, dict[str, str]] = {
    "kube-system": {},
    "apps": {"kansoku.io/telemetry": "enabled"},
    "elsewhere": {},
    "monitoring": {"kansoku.io/metrics-scraper": "enabled"},
}
# Where a rendering leaves Grafana out (the real-node runs), a pod carrying its labels.
GRAFANA_STAND_IN = Endpoint("grafana", "observability", GRAFANA_LABELS, (), "10.244.1.6")


def endpoints(objects: Objects) -> list[Endpoint]:
    """One endpoint per rendered workload, then the stand-ins."""
    out = []
    workloads = [o for o in objects if o["kind"] in _WORKLOAD_KINDS]
    for i, obj in enumerate(workloads):
        template = obj["spec"]["template"]
        ports = tuple(
            _port(p["containerPort"], p.get("protocol", "TCP"))
            for c in template["spec"]["containers"]
            for p in c.get("ports", [])
        )
        meta = obj["metadata"]
        out.append(
            Endpoint(
                meta["name"],
                meta["namespace"],
                template["metadata"]["labels"],
                ports,
                f"10.244.0.{i + 10}",
            )
        )
    if not any(e.name == "grafana" for e in out):
        out.append(GRAFANA_STAND_IN)
    return out + list(STAND_INS)


def source_pod(name: str, objects: Objects) -> tuple[str, dict[str, str]]:
    """Namespace and labels of a pod standing in for the source ``name`` of a row."""
    for endpoint in endpoints(objects):
        if endpoint.name == name and endpoint.namespace is not None:
            return endpoint.namespace, dict(endpoint.labels)
    raise KeyError(f"no endpoint {name!r} in the rendering or the stand-ins")


def namespace_labels(objects: Objects) -> dict[str, dict[str, str]]:
    labels = {
        n["metadata"]["name"]: dict(n["metadata"].get("labels") or {})
        for n in objects
        if n["kind"] == "Namespace"
    }
    for name, values in STAND_IN_NAMESPACES.items():
        labels.setdefault(name, dict(values))
    for name, values in labels.items():
        values["kubernetes.io/metadata.name"] = name  # set by the API server
    return labels


def _expression_holds(expr: dict[str, Any], labels: dict[str, str]) -> bool:
    present = expr["key"] in labels
    value = labels.get(expr["key"])
    match expr["operator"]:
        case "In":
            return present and value in expr["values"]
        case "NotIn":
            return not present or value not in expr["values"]
        case "Exists":
            return present
        case "DoesNotExist":
            return not present
        case other:
            raise ValueError(f"unknown label selector operator {other}")


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(_expression_holds(e, labels) for e in selector.get("matchExpressions") or [])


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
        if not selects(peer["namespaceSelector"], ns_labels[other.namespace]):
            return False
    elif other.namespace != policy_ns:
        return False
    return selects(peer.get("podSelector"), other.labels)


def _port_matches(rule: dict[str, Any], port: str) -> bool:
    if not rule.get("ports"):
        return True
    number, protocol = port.split("/")
    return any(
        str(p.get("port")) == number and p.get("protocol", "TCP") == protocol for p in rule["ports"]
    )


def allowed(
    direction: str,
    me: Endpoint,
    other: Endpoint,
    port: str,
    policies: Objects,
    ns_labels: dict[str, dict[str, str]],
) -> bool:
    """Whether ``me``'s policies of ``direction`` ("in" or "out") let ``other`` through."""
    kind, field, peers = (
        ("Ingress", "ingress", "from") if direction == "in" else ("Egress", "egress", "to")
    )
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == me.namespace
        and kind in p["spec"].get("policyTypes", ["Ingress"])
        and selects(p["spec"]["podSelector"], me.labels)
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


def reachability(objects: Objects) -> set[Flow]:
    """Every (source, destination, port) the rendered policies allow, among pairs with at
    least one of our pods."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    ns_labels = namespace_labels(objects)
    everyone = endpoints(objects)
    flows = set()
    for src in everyone:
        for dst in everyone:
            if src is dst or not (src.ours or dst.ours):
                continue
            for port in dst.ports:
                if allowed("out", src, dst, port, policies, ns_labels) and allowed(
                    "in", dst, src, port, policies, ns_labels
                ):
                    flows.add((src.name, dst.name, port))
    return flows
