"""Each rendering (every overlay, every component on production) installed on a real API
server: applied server-side with no error and no warning under enforced Pod Security
``restricted``, rolled out on simulated nodes, the collector scaled to its HPA maximum within
the quotas, the RBAC matrix asked of the authorizer, and uninstalled without a trace."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import wiring
from cluster_targets import TARGET_IDS

from kansoku.cluster import access
from kansoku.cluster.controlplane import ControlPlane
from kansoku.cluster.manifests import Rendering, key
from kansoku.cluster.operations import (
    FIELD_MANAGER,
    Applied,
    access_reviews,
    apply,
    leftovers,
    quota_headroom,
    settle,
    uninstall,
)
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.cluster


@dataclass
class Installed:
    plane: ControlPlane
    rendering: Rendering
    applied: Applied


@pytest.fixture(scope="module", params=TARGET_IDS)
def installed(
    request: pytest.FixtureRequest, with_crds: ControlPlane, rendered: dict[str, Rendering]
) -> Iterator[Installed]:
    rendering = rendered[request.param]
    applied = apply(with_crds, rendering.text)
    settle(with_crds, rendering)
    yield Installed(with_crds, rendering, applied)
    uninstall(with_crds, rendering)  # idempotent: the last test has usually done it


def test_applies_server_side_without_warnings(installed: Installed) -> None:
    assert installed.applied.warnings == []
    plane, rendering = installed.plane, installed.rendering
    kinds = ",".join(sorted({o["kind"].lower() for o in rendering.objects}))
    live = plane.get_json(kinds, "-A", "--show-managed-fields")["items"]
    assert rendering.keys() <= {key(o) for o in live}
    managed = {
        key(o)
        for o in live
        if any(m["manager"] == FIELD_MANAGER for m in o["metadata"].get("managedFields", []))
    }
    assert rendering.keys() <= managed, "every object is applied by our field manager"


def test_namespaces_enforce_restricted(installed: Installed) -> None:
    for namespace in installed.rendering.of_kind("Namespace"):
        live = installed.plane.get_json("namespace", namespace["metadata"]["name"])
        assert live["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_workload_runs_on_simulated_nodes(installed: Installed) -> None:
    plane = installed.plane
    workloads = installed.rendering.workloads()
    assert workloads
    for workload in workloads:
        kind, namespace, name = key(workload)
        selector = ",".join(
            f"{k}={v}" for k, v in workload["spec"]["selector"]["matchLabels"].items()
        )
        pods = plane.get_json("pods", "-n", namespace, "-l", selector)["items"]
        running = [p for p in pods if p["status"].get("phase") == "Running"]
        assert running, f"{kind}/{name}: no pod running"
        for pod in running:
            assert pod["spec"]["nodeName"].startswith("kwok-node-"), pod["metadata"]["name"]
            assert pod["status"].get("podIP"), pod["metadata"]["name"]


def test_hpa_maximum_fits_the_quotas(
    installed: Installed, capsys: pytest.CaptureFixture[str]
) -> None:
    plane, rendering = installed.plane, installed.rendering
    autoscalers = rendering.of_kind("HorizontalPodAutoscaler")
    assert autoscalers, "the collector has an HPA"
    for hpa in autoscalers:
        target = hpa["spec"]["scaleTargetRef"]
        plane.kubectl(
            "scale",
            f"{target['kind'].lower()}/{target['name']}",
            f"--replicas={hpa['spec']['maxReplicas']}",
            "-n",
            hpa["metadata"]["namespace"],
        )
    settle(plane, rendering)
    for hpa in autoscalers:
        target = hpa["spec"]["scaleTargetRef"]
        live = plane.get_json(
            target["kind"].lower(), target["name"], "-n", hpa["metadata"]["namespace"]
        )
        assert live["status"]["availableReplicas"] == hpa["spec"]["maxReplicas"]
    rows = quota_headroom(plane)
    assert rows
    with capsys.disabled():
        print(f"\nquota headroom with every HPA at its maximum ({rendering.name}):")
        for namespace, quota, resource, used, free in rows:
            print(f"  {namespace:14} {quota:20} {resource:24} {used:22} {free:6.0%} free")
    for namespace, quota, resource, _used, free in rows:
        assert free >= 0, (namespace, quota, resource)


def test_rbac_matrix_by_subject_access_review(installed: Installed) -> None:
    plane, objects = installed.plane, installed.rendering.objects
    accounts = sorted({access.service_account(o) for o in objects if o["kind"] == "ServiceAccount"})
    assert accounts
    allowed = [(a, r) for a in accounts for r in access.ALLOWED.get(a, ())]
    denied = [(a, r) for a in accounts for r in access.DENIED_FOR_ALL]
    answers = access_reviews(plane, allowed + denied)
    wrong = [f"{a} was denied: {r}" for (a, r), ok in zip(allowed, answers, strict=False) if not ok]
    wrong += [
        f"{a} was allowed: {r}"
        for (a, r), ok in zip(denied, answers[len(allowed) :], strict=True)
        if ok
    ]
    assert allowed, "some account has rows of what it must be allowed"
    assert not wrong, "\n".join(wrong)


def _pods(plane: ControlPlane, namespace: str) -> list[dict[str, Any]]:
    return [
        p
        for p in plane.get_json("pods", "-n", namespace)["items"]
        if p["status"].get("phase") == "Running"
    ]


def test_prometheus_discovers_the_annotated_pods(installed: Installed, tmp_path: Path) -> None:
    plane = installed.plane
    token = wiring.token(plane, "observability", "prometheus", tmp_path)
    config = wiring.discovery_config(plane, token, tmp_path)
    expected = {}
    for namespace in ("observability", "default"):
        for pod in _pods(plane, namespace):
            notes = pod["metadata"].get("annotations", {})
            if notes.get("prometheus.io/scrape") == "true":
                expected[pod["metadata"]["name"]] = pod
    assert expected, "some pods are annotated for scraping"

    def discovered() -> dict[str, dict[str, str]]:
        targets = wiring.discover(config, "kubernetes-pods")
        found = {t["labels"]["pod"]: t["labels"] for t in targets if t.get("labels")}
        missing = sorted(set(expected) - set(found))
        if missing:
            raise AssertionError(f"{len(found)} pods discovered; not yet: {missing}")
        return found

    found = poll_until(discovered, what="promtool to discover the annotated pods", timeout=90)
    assert set(found) == set(expected)
    for name, pod in expected.items():
        labels, notes = found[name], pod["metadata"]["annotations"]
        assert labels["job"] == notes.get("prometheus.io/job", "kubernetes-pods"), name
        assert labels["namespace"] == pod["metadata"]["namespace"], name
        assert labels["app"] == pod["metadata"]["labels"]["app.kubernetes.io/name"], name
        port = notes.get("prometheus.io/port")
        address = labels.get("__address__") or labels.get("instance")
        assert address == f"{pod['status']['podIP']}:{port}", name
    assert {"otel-collector", "jaeger"} <= {labels["job"] for labels in found.values()}


def test_k8s_attributes_enriches_a_span_from_a_pod_ip(installed: Installed, tmp_path: Path) -> None:
    plane = installed.plane
    (deployment,) = [
        o
        for o in installed.rendering.of_kind("Deployment")
        if o["metadata"]["name"] == "shop-backend"
    ]
    namespace = deployment["metadata"]["namespace"]
    selector = ",".join(
        f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items()
    )
    pod = plane.get_json("pods", "-n", namespace, "-l", selector)["items"][0]
    token = wiring.token(plane, "observability", "otel-collector", tmp_path)
    kubeconfig = wiring.collector_kubeconfig(plane, token, tmp_path)
    port, output = wiring.free_port(), tmp_path / "spans.jsonl"
    config = wiring.collector_config(port, output, tmp_path)
    collector = wiring.start_collector(config, kubeconfig, tmp_path / "collector.log")
    try:
        wiring.wait_port(port, collector)

        def enriched() -> dict[str, Any] | None:
            wiring.send_span(port, pod["status"]["podIP"], "cluster-test")
            hits = [r for r in wiring.exported_resources(output) if r.get("k8s.pod.name")]
            return hits[0] if hits else None

        resource = poll_until(
            enriched, what="a span enriched by k8s_attributes", timeout=60, interval=1
        )
    finally:
        collector.terminate()
        collector.wait(timeout=30)
    assert resource["k8s.pod.name"] == pod["metadata"]["name"]
    assert resource["k8s.namespace.name"] == namespace
    assert resource["k8s.deployment.name"] == "shop-backend"
    assert resource["k8s.node.name"] == pod["spec"]["nodeName"]


def test_uninstall_leaves_nothing_of_ours(installed: Installed) -> None:
    plane = installed.plane
    uninstall(plane, installed.rendering)
    left = leftovers(plane)
    # `default` cannot be deleted, so it stays (with the labels we set); nothing else may.
    assert [k for k in left if k != ("Namespace", "", "default")] == []
