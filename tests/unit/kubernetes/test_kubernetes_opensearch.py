"""components/opensearch, rendered on production: three nodes from the official image with the
one node configuration of both modes, Jaeger pointed at them, the hourly cleaner, and the
restricted profile kept without a privileged sysctl."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from kube_render import ROOT, WITH_OPENSEARCH, Rendering

NODE_CONFIG = ROOT / "config" / "opensearch" / "opensearch.yml"


@pytest.fixture
def rendered(renderings: dict[str, Rendering]) -> Rendering:
    return renderings[WITH_OPENSEARCH]


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "CronJob":
        obj = obj["spec"]["jobTemplate"]
    template = obj["spec"]["template"]
    spec: dict[str, Any] = template["spec"]
    return spec


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_nodes_run_the_official_image_with_the_one_node_config(rendered: Rendering) -> None:
    statefulset = rendered.find("StatefulSet", "opensearch", "observability")
    assert statefulset["spec"]["replicas"] == 3
    pod = _pod(statefulset)
    (node,) = pod["containers"]
    assert node["image"] == "opensearchproject/opensearch:2.19.6"
    assert "-Eplugins.security.disabled=true" in node["args"]
    managers = "-Ecluster.initial_cluster_manager_nodes=opensearch-0,opensearch-1,opensearch-2"
    assert managers in node["args"]
    data = rendered.configmap("opensearch-config")["data"]["opensearch.yml"]
    assert data == NODE_CONFIG.read_text()
    # Every ${VAR} of the shared file is set in the pod: OpenSearch refuses an unset one.
    wanted = set(re.findall(r"^[a-z.]+: \$\{(\w+)\}", data, flags=re.MULTILINE))
    assert len(wanted) == 7
    assert wanted <= set(_env(node))
    # No privileged init container for vm.max_map_count: mmap is off in the shared file.
    assert yaml.safe_load(data)["node.store.allow_mmap"] is False
    for init in pod["initContainers"]:
        assert init["securityContext"]["allowPrivilegeEscalation"] is False
        assert not any("sysctl" in " ".join(init.get("args", [])) for _ in [0])


def test_each_node_has_a_claim_and_one_may_be_down(rendered: Rendering) -> None:
    statefulset = rendered.find("StatefulSet", "opensearch", "observability")
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    pdb = rendered.find("PodDisruptionBudget", "opensearch", "observability")
    assert pdb["spec"]["maxUnavailable"] == 1


def test_jaeger_is_pointed_at_the_in_cluster_nodes(rendered: Rendering) -> None:
    settings = rendered.configmap("jaeger-settings")["data"]
    assert yaml.safe_load(settings["opensearch-urls"]) == [
        "http://opensearch.observability.svc:9200"
    ]
    jaeger = _pod(rendered.find("Deployment", "jaeger"))["containers"][0]
    assert "--config=/etc/jaeger/jaeger-opensearch.yaml" in jaeger["args"]
    # No credentials: the in-cluster nodes have no security plugin (NetworkPolicies instead).
    assert settings["opensearch-username"] == ""
    assert _env(jaeger)["KANSOKU_JAEGER_OPENSEARCH_USERNAME"]["configMapKeyRef"]["key"] == (
        "opensearch-username"
    )


def test_the_cleaner_keeps_seven_days_hourly(rendered: Rendering) -> None:
    cronjob = rendered.find("CronJob", "es-index-cleaner", "observability")
    assert cronjob["spec"]["schedule"].endswith("* * * *")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (cleaner,) = _pod(cronjob)["containers"]
    assert cleaner["image"] == "jaegertracing/jaeger-es-index-cleaner:1.76.0"
    assert cleaner["args"][-2:] == ["7", "http://opensearch.observability.svc:9200"]
    assert cleaner["args"][:2] == ["--index-prefix", "kansoku"]


def test_only_jaeger_and_the_cleaner_reach_the_api_and_only_nodes_the_transport(
    rendered: Rendering,
) -> None:
    policy = rendered.find("NetworkPolicy", "opensearch", "observability")["spec"]
    sources = {
        rule["ports"][0]["port"]: {
            p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in rule["from"]
        }
        for rule in policy["ingress"]
    }
    assert sources == {9200: {"jaeger", "es-index-cleaner"}, 9300: {"opensearch"}}
    (egress,) = policy["egress"]
    assert egress["ports"] == [{"protocol": "TCP", "port": 9300}]
