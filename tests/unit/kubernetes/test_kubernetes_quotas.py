"""The ResourceQuotas hold the whole stack at its largest: every workload's requests and
limits (the collector at its HPA maximum, the node agent on the documented 10 nodes, init
containers counted as Kubernetes counts them) and every volume claim."""

from __future__ import annotations

from typing import Any

import pytest
import quantities
from kube_render import Rendering

# The node count the quota is sized for (docs/kubernetes.md, Sizing).
NODES = 10


def _replicas(rendering: Rendering, obj: dict[str, Any]) -> int:
    if obj["kind"] == "DaemonSet":
        return NODES
    hpas = [
        h
        for h in rendering.of_kind("HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"]["name"] == obj["metadata"]["name"]
    ]
    if hpas:
        return int(hpas[0]["spec"]["maxReplicas"])
    return int(obj["spec"].get("replicas", 1))


def _pod_total(spec: dict[str, Any], kind: str, resource: str) -> float:
    """A pod's effective request or limit: the larger of its containers' sum and its largest
    init container (init containers run one at a time, before the others)."""
    measure = quantities.cpu if resource == "cpu" else quantities.size

    def of(container: dict[str, Any]) -> float:
        return measure(container["resources"][kind][resource])

    main = sum(of(c) for c in spec["containers"])
    init = max((of(c) for c in spec.get("initContainers", [])), default=0)
    return max(main, init)


def _totals(rendering: Rendering, namespace: str) -> dict[str, float]:
    totals = {"requests.cpu": 0.0, "requests.memory": 0.0, "limits.cpu": 0.0}
    totals |= {"limits.memory": 0.0, "pods": 0.0}
    for obj in rendering.of_kind("Deployment", "DaemonSet", "StatefulSet"):
        if obj["metadata"]["namespace"] != namespace:
            continue
        replicas = _replicas(rendering, obj)
        spec = obj["spec"]["template"]["spec"]
        for key in ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory"):
            kind, resource = key.split(".")
            totals[key] += replicas * _pod_total(spec, kind, resource)
        totals["pods"] += replicas
    return totals


def _claims(rendering: Rendering) -> list[int]:
    """The storage request of every claim the overlay creates, templates times replicas."""
    claims = [
        quantities.size(c["spec"]["resources"]["requests"]["storage"])
        for c in rendering.of_kind("PersistentVolumeClaim")
    ]
    for statefulset in rendering.of_kind("StatefulSet"):
        for template in statefulset["spec"].get("volumeClaimTemplates", []):
            storage = quantities.size(template["spec"]["resources"]["requests"]["storage"])
            claims += [storage] * int(statefulset["spec"].get("replicas", 1))
    return claims


@pytest.mark.parametrize(
    ("namespace", "quota"), [("observability", "observability-quota"), ("default", "shop-quota")]
)
def test_quota_holds_every_workload_at_its_maximum(
    rendering: Rendering, namespace: str, quota: str
) -> None:
    hard = rendering.find("ResourceQuota", quota, namespace)["spec"]["hard"]
    for key, total in _totals(rendering, namespace).items():
        if key == "pods":
            limit = float(hard[key])
        elif key.endswith("cpu"):
            limit = quantities.cpu(hard[key])
        else:
            limit = quantities.size(hard[key])
        assert total <= limit, f"{rendering.name}: {namespace} needs {key} {total}, quota {limit}"


def test_quota_holds_every_volume_claim(rendering: Rendering) -> None:
    hard = rendering.find("ResourceQuota", "observability-quota")["spec"]["hard"]
    claims = _claims(rendering)
    assert len(claims) <= int(hard["persistentvolumeclaims"]), rendering.name
    assert sum(claims) <= quantities.size(hard["requests.storage"]), rendering.name


def test_production_claims_are_counted(renderings: dict[str, Rendering]) -> None:
    """The sums above are not vacuous: production has claims, from both sources."""
    production = renderings["production"]
    assert production.of_kind("PersistentVolumeClaim")
    assert any(s["spec"].get("volumeClaimTemplates") for s in production.of_kind("StatefulSet"))
    assert len(_claims(production)) > len(production.of_kind("PersistentVolumeClaim"))


def test_an_init_container_counts_when_it_is_the_largest() -> None:
    spec = {
        "containers": [{"resources": {"requests": {"cpu": "100m"}}}],
        "initContainers": [{"resources": {"requests": {"cpu": "1"}}}],
    }
    assert _pod_total(spec, "requests", "cpu") == 1.0
