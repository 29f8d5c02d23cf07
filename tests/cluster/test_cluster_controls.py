"""Negative controls: the harness catches a Pod Security violation and a quota overrun."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from kansoku.cluster.controlplane import ControlPlane
from kansoku.cluster.manifests import Rendering
from kansoku.cluster.operations import ApplyError, apply, quantity, settle, unready
from kansoku.verify.poll import PollTimeoutError, poll_until

pytestmark = pytest.mark.cluster


@pytest.fixture
def namespace(plane: ControlPlane, request: pytest.FixtureRequest) -> Iterator[str]:
    """A scratch namespace with no Pod Security labels: the API server's default,
    ``restricted`` enforced, applies."""
    name = f"kansoku-control-{request.node.name.removeprefix('test_')[:20].replace('_', '-')}"
    plane.kubectl("create", "namespace", name)
    yield name
    plane.kubectl("delete", "namespace", name, "--wait=true", timeout=150)


def _control_deployment(rendering: Rendering, namespace: str, replicas: int) -> dict[str, Any]:
    """The real collector Deployment, relabelled so nothing mistakes it for ours."""
    (source,) = [
        o for o in rendering.of_kind("Deployment") if o["metadata"]["name"] == "otel-collector"
    ]
    deployment = copy.deepcopy(source)
    labels = {"app": "control"}
    deployment["metadata"] = {"name": "control", "namespace": namespace, "labels": labels}
    deployment["spec"]["replicas"] = replicas
    deployment["spec"]["selector"] = {"matchLabels": labels}
    template = deployment["spec"]["template"]
    template["metadata"] = {"labels": labels}
    template["spec"].pop("serviceAccountName", None)
    template["spec"]["automountServiceAccountToken"] = False
    return deployment


def _replica_failure(plane: ControlPlane, namespace: str) -> str | None:
    for replicaset in plane.get_json("replicasets", "-n", namespace)["items"]:
        for condition in replicaset["status"].get("conditions", []):
            if condition["type"] == "ReplicaFailure":
                return str(condition["message"])
    return None


def test_a_pod_security_violation_is_caught(
    plane: ControlPlane, rendered: dict[str, Rendering], namespace: str
) -> None:
    deployment = _control_deployment(rendered["dev"], namespace, replicas=1)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["allowPrivilegeEscalation"] = True
    with pytest.raises(ApplyError, match=r"allowPrivilegeEscalation != false"):
        apply(plane, json.dumps(deployment))
    message = poll_until(
        lambda: _replica_failure(plane, namespace), what="the pod to be refused", timeout=60
    )
    assert "violates PodSecurity" in message


def test_a_quota_overrun_is_caught(
    plane: ControlPlane, rendered: dict[str, Rendering], namespace: str
) -> None:
    production = rendered["production"]
    (quota,) = [
        o
        for o in production.of_kind("ResourceQuota")
        if o["metadata"]["namespace"] == "observability"
    ]
    quota = {**quota, "metadata": {"name": "control", "namespace": namespace}}
    deployment = _control_deployment(production, namespace, replicas=1)
    limit = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"]
    deployment["spec"]["replicas"] = int(
        quantity(quota["spec"]["hard"]["limits.cpu"]) // quantity(limit) + 2
    )
    apply(plane, json.dumps(quota))
    apply(plane, json.dumps(deployment))
    message = poll_until(
        lambda: _replica_failure(plane, namespace), what="pods over quota refused", timeout=60
    )
    assert "exceeded quota" in message
    # The harness's rollout wait reports the overrun with the quota's own words, once the
    # deployment carries its replica set's failure.
    name = deployment["metadata"]["name"]
    poll_until(
        lambda: (
            "exceeded quota" in (unready(plane.get_json("deployment", "-n", namespace, name)) or "")
            or None
        ),
        what="the deployment to report the quota overrun",
        timeout=60,
    )
    control = Rendering("control", json.dumps(deployment), [deployment])
    with pytest.raises(PollTimeoutError, match=r"/\d+ updated and available \(.*exceeded quota"):
        settle(plane, control, timeout=2)
