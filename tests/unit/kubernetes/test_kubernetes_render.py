"""Every overlay builds, and every rendered object is valid against the Kubernetes schemas."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest
from kube_render import Rendering

from kansoku import conventions as cv

# Kubernetes releases the manifests are checked against: the oldest we document and the
# newest the schema package knows.
SCHEMA_VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
# Custom resources have no schema in the Kubernetes API; their shape is checked below.
CUSTOM_KINDS = {"ServiceMonitor"}


def test_overlay_renders_both_namespaces_and_every_workload(rendering: Rendering) -> None:
    names = {(o["kind"], o["metadata"]["name"]) for o in rendering.objects}
    for expected in [
        ("Namespace", "observability"),
        ("Namespace", "default"),
        ("Deployment", "otel-collector"),
        ("DaemonSet", "otel-agent"),
        ("Deployment", "prometheus"),
        ("Deployment", "jaeger"),
        ("Deployment", "grafana"),
        ("StatefulSet", "victorialogs"),
        ("Deployment", "shop-backend"),
        ("Deployment", "shop-frontend"),
        ("Deployment", "loadgen"),
    ]:
        assert expected in names, f"{rendering.name}: {expected} missing"


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_object_validates_strictly_against_the_schemas(
    rendering: Rendering, version: str
) -> None:
    errors = []
    for obj in rendering.objects:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_strict_validation_rejects_an_unknown_field() -> None:
    bad = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x", "namespace": "observability"},
        "spec": {"ports": [{"port": 80, "targetPrt": 80}]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, SCHEMA_VERSIONS[-1], strict=True)


def test_servicemonitors_select_existing_service_ports(renderings: dict[str, Rendering]) -> None:
    rendering = renderings["production+servicemonitors"]
    monitors = rendering.of_kind("ServiceMonitor")
    assert {m["metadata"]["name"] for m in monitors} == {"otel-collector", "jaeger", "prometheus"}
    services = rendering.of_kind("Service")
    for monitor in monitors:
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        selector = monitor["spec"]["selector"]["matchLabels"]
        matched = [
            s
            for s in services
            if s["metadata"]["namespace"] == monitor["metadata"]["namespace"]
            and selector.items() <= s["metadata"]["labels"].items()
        ]
        assert len(matched) == 1, monitor["metadata"]["name"]
        port_names = {p["name"] for p in matched[0]["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["port"] in port_names


def test_servicemonitors_are_only_in_the_component(renderings: dict[str, Rendering]) -> None:
    for name in ("dev", "production"):
        assert not renderings[name].of_kind("ServiceMonitor")


LEFT_OUT = {
    ("Deployment", "grafana"),
    ("Service", "grafana"),
    ("ServiceAccount", "grafana"),
    ("ConfigMap", "grafana-datasources"),
    ("ConfigMap", "grafana-dashboard-providers"),
    ("ConfigMap", "grafana-dashboards"),
}


def _keys(rendering: Rendering) -> set[tuple[str, str]]:
    """(kind, name) of every object, generated ConfigMaps without their content hash."""
    out = set()
    for o in rendering.objects:
        name = o["metadata"]["name"]
        if o["kind"] == "ConfigMap":
            name = name.rsplit("-", 1)[0]
        out.add((o["kind"], name))
    return out


# The agent's cluster layer, which the real node's agent runs without (our distribution
# lacks its k8s_cluster receiver and k8s_leader_elector extension).
CLUSTER_LAYER_ARG = "--config=/etc/otelcol/otel-agent-cluster.yaml"


def test_the_real_node_rendering_is_the_dev_overlay_less_grafana_and_the_agents_cluster_layer(
    renderings: dict[str, Rendering], real_node: Rendering
) -> None:
    dev = renderings["dev"]
    assert _keys(dev) >= LEFT_OUT
    assert _keys(real_node) == _keys(dev) - LEFT_OUT
    # Grafana's NetworkPolicies stay: a pod with its labels gets the policies Grafana would.
    policies = {o["metadata"]["name"] for o in real_node.of_kind("NetworkPolicy")}
    assert {"grafana", "grafana-plugin-download"} <= policies
    same = {
        (o["kind"], o["metadata"]["name"]): o
        for o in dev.objects
        if (o["kind"], o["metadata"]["name"]) not in LEFT_OUT
    }
    for obj in real_node.objects:
        expected = copy.deepcopy(same[(obj["kind"], obj["metadata"]["name"])])
        for container in _containers(expected):
            container["imagePullPolicy"] = "Never"  # the node has no registry to ask
        _with_admin_token(expected)
        if (obj["kind"], obj["metadata"]["name"]) == ("DaemonSet", "otel-agent"):
            [agent] = _containers(expected)
            agent["args"].remove(CLUSTER_LAYER_ARG)
            assert agent["args"] == ["--config=/etc/otelcol/otel-agent.yaml"]
        assert obj == expected, obj["metadata"]["name"]


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


# shop-backend's admin token as the component adds it: from the Secret the tests create.
ADMIN_TOKEN_ENV = {
    "name": cv.ENV_ADMIN_TOKEN,
    "valueFrom": {
        "secretKeyRef": {
            "name": cv.REAL_NODE_ADMIN_SECRET,
            "key": cv.REAL_NODE_ADMIN_SECRET_KEY,
            "optional": True,
        }
    },
}


def _with_admin_token(obj: dict[str, Any]) -> None:
    if (obj["kind"], obj["metadata"]["name"]) == ("Deployment", cv.SHOP_BACKEND):
        _containers(obj)[0]["env"].append(ADMIN_TOKEN_ENV)


def test_the_real_node_rendering_opens_the_fault_endpoint_with_no_secret_value(
    renderings: dict[str, Rendering], real_node: Rendering
) -> None:
    """The token comes from a Secret the tests create; the dev overlay leaves it closed."""

    def env(rendering: Rendering) -> list[dict[str, Any]]:
        [backend] = [
            o for o in rendering.of_kind("Deployment") if o["metadata"]["name"] == cv.SHOP_BACKEND
        ]
        return list(_containers(backend)[0]["env"])

    assert [e for e in env(real_node) if e["name"] == cv.ENV_ADMIN_TOKEN] == [ADMIN_TOKEN_ENV]
    assert cv.ENV_ADMIN_TOKEN not in {e["name"] for e in env(renderings["dev"])}
    assert not real_node.of_kind("Secret"), "a Secret's value in the rendering"


def test_the_real_node_rendering_never_pulls(real_node: Rendering) -> None:
    containers = [c for o in real_node.objects for c in _containers(o)]
    assert len(containers) >= 9, "every workload but Grafana"
    assert {c["imagePullPolicy"] for c in containers} == {"Never"}


def test_the_real_node_rendering_validates_against_the_schemas(real_node: Rendering) -> None:
    for obj in real_node.objects:
        kubernetes_validate.validate(obj, SCHEMA_VERSIONS[-1], strict=True)
