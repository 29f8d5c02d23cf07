"""Each rendering (every overlay, every component on production) installed on a real API
server: applied server-side with no error and no warning under enforced Pod Security
``restricted``, rolled out on simulated nodes, the collector scaled to its HPA maximum within
the quotas, the RBAC matrix asked of the authorizer, and uninstalled without a trace."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cluster_targets import TARGET_IDS

from kansoku.cluster import access
from kansoku.cluster.controlplane import ControlPlane
from kansoku.cluster.manifests import Rendering, key
from kansoku.cluster.operations import (
    Applied,
    access_review,
    apply,
    leftovers,
    quota_headroom,
    settle,
    uninstall,
)

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
    for kind, namespace, name in sorted(rendering.keys()):
        scope = ["-n", namespace] if namespace else []
        live = plane.get_json(kind.lower(), name, *scope)
        assert live["metadata"]["managedFields"], (kind, name)


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
    accounts = {access.service_account(o) for o in objects if o["kind"] == "ServiceAccount"}
    assert accounts
    wrong = []
    for account in sorted(accounts):
        for request in access.ALLOWED.get(account, ()):
            if not access_review(plane, account, request):
                wrong.append(f"{account} was denied: {request}")
        for request in access.DENIED_FOR_ALL:
            if access_review(plane, account, request):
                wrong.append(f"{account} was allowed: {request}")
    assert not wrong, "\n".join(wrong)


def test_uninstall_leaves_nothing_of_ours(installed: Installed) -> None:
    plane = installed.plane
    uninstall(plane, installed.rendering)
    left = leftovers(plane)
    # `default` cannot be deleted, so it stays (with the labels we set); nothing else may.
    assert [k for k in left if k != ("Namespace", "", "default")] == []
