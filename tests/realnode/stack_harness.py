"""What the tests of the stack on the real node share: the running stack, its diagnostics, and
load sent from inside the cluster (``InClusterLoad``, kansoku.bench.podload, which
``kansoku bench cluster`` uses too).

The stack (the dev overlay with the test-only component tests/cluster/components/real-node)
is applied once per test run by the ``stack`` fixture of this folder's conftest; the files
``test_dev_overlay*.py`` use it in that order (file names sort before test_real_node.py,
whose last test stops the node). A test that changes the stack (scales, restarts, upgrades)
leaves every workload Ready again.

(A module of its own name: every test folder's ``conftest`` is imported as ``conftest``.)
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from node_harness import diagnose

from kansoku import conventions as cv
from kansoku.alerting.timing import SDK_EXPORT_INTERVAL_MS
from kansoku.bench import kube
from kansoku.bench.podload import COLLECTOR_OTLP_HTTP, SHOP, STACK, InClusterLoad
from kansoku.cluster.realnode import RealNode
from kansoku.verify.poll import PollTimeoutError, poll_until

# Shared with kansoku bench cluster, and re-exported for the tests.
__all__ = [
    "COLLECTOR_OTLP_HTTP",
    "COLLECTOR_SELECTOR",
    "DATA_TIMEOUT",
    "READY_TIMEOUT",
    "SHOP",
    "STACK",
    "WORKLOAD_KINDS",
    "InClusterLoad",
    "Stack",
    "diagnostics",
    "wait_all_ready",
]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
READY_TIMEOUT = 900.0  # nine images' first start on the busy 2-core machine
DATA_TIMEOUT = 240.0  # export intervals, remote write, scrapes and ingestion, when busy
COLLECTOR_SELECTOR = "app.kubernetes.io/name=otel-collector,app.kubernetes.io/component=gateway"


@dataclass
class Stack:
    node: RealNode
    objects: list[dict[str, Any]]
    ready_at: float
    ports: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def url(self, namespace: str, service: str, port: int) -> str:
        """``http://127.0.0.1:<port>``, forwarded to the Service's ClusterIP (a headless
        one's first ready endpoint: Alertmanager's)."""
        key = (namespace, service, port)
        if key not in self.ports:
            self.ports[key] = self.node.forward(namespace, service, port)
        return f"http://127.0.0.1:{self.ports[key]}"

    def _container(self, workload: str) -> dict[str, Any]:
        """The first container of a workload of the rendering."""
        for obj in self.objects:
            if obj["kind"] in WORKLOAD_KINDS and obj["metadata"]["name"] == workload:
                container: dict[str, Any] = obj["spec"]["template"]["spec"]["containers"][0]
                return container
        raise LookupError(f"no workload {workload} in the rendering")

    def image(self, workload: str) -> str:
        """The image a workload of the rendering runs (its first container's)."""
        return str(self._container(workload)["image"])

    def metric_export_seconds(self, workload: str) -> float:
        """A workload's OTel SDK metric export interval as the rendering sets it (else the
        SDK's default)."""
        env = {e["name"]: e.get("value") for e in self._container(workload).get("env", [])}
        return int(env.get("OTEL_METRIC_EXPORT_INTERVAL") or SDK_EXPORT_INTERVAL_MS) / 1000

    def pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.node.get_json("pods", "-n", namespace, "-l", selector)[
            "items"
        ]
        return items

    def restarts(self) -> dict[str, int]:
        """``namespace/pod/container -> restartCount`` of every container of the stack."""
        return {
            f"{ns}/{p['metadata']['name']}/{s['name']}": int(s["restartCount"])
            for ns in (STACK, SHOP)
            for p in self.node.get_json("pods", "-n", ns)["items"]
            for s in p["status"].get("containerStatuses", [])
        }


def diagnostics(node: RealNode) -> str:
    """Events, pods and component logs, then each container's state and last log lines."""
    parts = [diagnose(node, ns) for ns in (STACK, SHOP)]
    for ns in (STACK, SHOP):
        for pod in node.get_json("pods", "-n", ns)["items"]:
            name = pod["metadata"]["name"]
            for status in pod["status"].get("containerStatuses", []):
                parts.append(
                    f"--- {ns}/{name}/{status['name']}: restarts {status['restartCount']}, "
                    f"state {json.dumps(status.get('state'))}, "
                    f"last {json.dumps(status.get('lastState'))}"
                )
                for previous in ((True,) if status["restartCount"] else ()) + (False,):
                    args = ["logs", "-n", ns, name, "-c", status["name"], "--tail=20"]
                    proc = node.kubectl(*args, *(["--previous"] if previous else []), check=False)
                    label = "previous" if previous else "current"
                    parts.append(f"{label} log:\n{proc.stdout}{proc.stderr}")
    return "\n".join(parts)


def wait_all_ready(stack: Stack, timeout: float = 300.0) -> float:
    """Seconds until every workload of the stack is Ready again (after a scale, a restart or
    an upgrade), polling the workloads' own status."""
    started = time.monotonic()

    def ready() -> bool | None:
        return not kube.waiting_workloads(stack.node, stack.objects) or None

    try:
        poll_until(ready, what="every workload Ready again", timeout=timeout, interval=2)
    except PollTimeoutError as exc:
        raise AssertionError(f"{exc}\n{diagnostics(stack.node)}") from exc
    return time.monotonic() - started


def admin_secret(token: str) -> dict[str, Any]:
    """The Secret holding shop-backend's admin token, which the real-node component passes to
    it (tests/cluster/components/real-node): applied before the stack, so the pod starts
    with it."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": cv.REAL_NODE_ADMIN_SECRET, "namespace": SHOP},
        "stringData": {cv.REAL_NODE_ADMIN_SECRET_KEY: token},
    }


def set_faults(stack: Stack, rules: dict[str, Any]) -> dict[str, Any]:
    """Replace shop-backend's fault rules (``{}`` clears them) through its Service, with the
    token read back from the Secret, as an operator would; the rules now in force."""
    secret = stack.node.get_json("secret", "-n", SHOP, cv.REAL_NODE_ADMIN_SECRET)
    token = base64.b64decode(secret["data"][cv.REAL_NODE_ADMIN_SECRET_KEY]).decode()
    response = httpx.put(
        stack.url(SHOP, cv.SHOP_BACKEND, 8081) + cv.ADMIN_FAULTS_PATH,
        json={"rules": rules},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    in_force: dict[str, Any] = response.json()["rules"]
    return in_force
