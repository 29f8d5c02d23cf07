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


def test_retention_runs_the_local_module_hourly_keeping_seven_days(rendered: Rendering) -> None:
    cronjob = rendered.find("CronJob", "traces-retention", "observability")
    assert cronjob["spec"]["schedule"].endswith("* * * *")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (job,) = _pod(cronjob)["containers"]
    # The shop backend's image carries the kansoku package, at the shop's release.
    shop = _pod(rendered.find("Deployment", "shop-backend", "default"))["containers"][0]
    assert job["image"] == "kansoku/shop-backend:" + shop["image"].rsplit(":", 1)[1]
    assert job["command"] == ["python", "-m", "kansoku.traces.retention", "--once"]
    assert job["args"] == ["--days=7", "--url=http://opensearch.observability.svc:9200"]


def test_only_jaeger_and_the_retention_job_reach_the_api_and_only_nodes_the_transport(
    rendered: Rendering,
) -> None:
    policy = rendered.find("NetworkPolicy", "opensearch", "observability")["spec"]
    sources = {
        rule["ports"][0]["port"]: {
            p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in rule["from"]
        }
        for rule in policy["ingress"]
    }
    assert sources == {9200: {"jaeger", "traces-retention"}, 9300: {"opensearch"}}
    (egress,) = policy["egress"]
    assert egress["ports"] == [{"protocol": "TCP", "port": 9300}]
