"""OTLP load from a pod inside the cluster: ``kansoku.bench.otlpload`` in the load generator's
image, sending pre-encoded OTLP/HTTP to the collector's Service.

The real-node tests and ``kansoku bench cluster`` drive the collector with it. The shop's own
load (loadgen -> shop-frontend -> shop-backend) cannot: on two cores the shop's services
saturate the machine while the collector stays far below 70% of its CPU request, so its HPA
never scales. Sent from a pod, the load takes the path every application of the shop takes
(cluster DNS, the Service's iptables rules, the NetworkPolicies), and the host's loopback
forwarders carry nothing.

How much load makes the HPA scale is computed from the rendering (``scaling_load``): the
HPA's minimum and target, the collector's CPU request, and the collector's cost per span
measured by ``kansoku bench capacity --ramp`` (docs/performance.md).
"""

from __future__ import annotations

import json
from typing import Any

from kansoku.bench.otlpload import LoadConfig, LoadResult
from kansoku.cluster.kubectl import Kubectl
from kansoku.cluster.operations import quantity
from kansoku.errors import StackError
from kansoku.verify.poll import poll_until

SHOP, STACK = "default", "observability"
COLLECTOR = "otel-collector"
# OTLP/HTTP of the collector's Service, as the shop's pods reach it (cluster DNS).
COLLECTOR_OTLP_HTTP = f"http://{COLLECTOR}.{STACK}.svc:4318"
# The securityContext of a container the restricted Pod Security profile admits.
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
# Spans one collector core takes per second: docs/performance.md's ramp reached 129,000 at its
# highest spans-only step and spent about 20% more per span at a tenth of that rate.
SPANS_PER_COLLECTOR_CORE = 100_000
# Load for this many times the HPA's target on its minimum of replicas: the average
# utilization must pass the target by the HPA's 10% tolerance before it scales, and a busy
# machine's other work must not hold it just below.
OVERDRIVE = 2.0
# New connections this often per worker: replicas the HPA adds get a share of the load soon
# after they are Ready (a Service spreads connections, not requests).
RECONNECT_SECONDS = 5.0
WORKERS = 8


def workload(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    for obj in objects:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise LookupError(f"no {kind} {name} in the rendering")


def image(objects: list[dict[str, Any]], deployment: str) -> str:
    """The image a Deployment of the rendering runs (its first container's)."""
    spec = workload(objects, "Deployment", deployment)["spec"]["template"]["spec"]
    return str(spec["containers"][0]["image"])


def scaling_spans_per_second(objects: list[dict[str, Any]]) -> float:
    """Spans/s that put the collector's replicas, at the HPA's minimum, at ``OVERDRIVE``
    times the HPA's CPU target (2 x 100m x 70% x 2 = 0.28 core: 28,000 spans/s)."""
    hpa = workload(objects, "HorizontalPodAutoscaler", COLLECTOR)["spec"]
    [metric] = [m for m in hpa["metrics"] if m["type"] == "Resource"]
    target = metric["resource"]["target"]["averageUtilization"] / 100
    container = workload(objects, "Deployment", COLLECTOR)["spec"]["template"]["spec"]
    request = quantity(container["containers"][0]["resources"]["requests"]["cpu"])
    cores = hpa.get("minReplicas", 1) * request * target * OVERDRIVE
    return float(round(cores * SPANS_PER_COLLECTOR_CORE, -3))


def scaling_load(objects: list[dict[str, Any]], duration: float, service: str) -> LoadConfig:
    """Spans only (Jaeger's memory store is bounded by its trace count; points would grow
    Prometheus's series), from several workers that reconnect: enough for the HPA to scale."""
    return LoadConfig(
        endpoint=COLLECTOR_OTLP_HTTP,
        service=service,
        duration=duration,
        spans_per_second=scaling_spans_per_second(objects),
        points_per_second=0,
        concurrency=WORKERS,
        reconnect_seconds=RECONNECT_SECONDS,
    )


class InClusterLoad:
    """``kansoku.bench.otlpload`` in a pod of the shop's namespace: refusals retried as an SDK
    would, its counts (accepted, refused, failed) read back from the pod's log when it ends.

    The pod carries the shop's ``part-of`` label, so the shop's NetworkPolicies apply to it as
    to any application of the shop: egress to the collector's OTLP ports and DNS only.
    """

    def __init__(
        self,
        cluster: Kubectl,
        image: str,
        name: str,
        config: LoadConfig,
        cpu: str = "500m",
        memory: str = "256Mi",
    ) -> None:
        self.cluster, self.name, self.config = cluster, name, config
        container = {
            "name": "load",
            "image": image,
            "imagePullPolicy": "Never",
            "command": ["python", "-m", "kansoku.bench.otlpload", config.to_json()],
            "securityContext": RESTRICTED,
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": cpu, "memory": memory},
            },
        }
        self.pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": SHOP,
                "labels": {
                    "app.kubernetes.io/name": "otlp-load",
                    "app.kubernetes.io/part-of": "kansoku-shop",
                },
            },
            "spec": {"containers": [container], "restartPolicy": "Never"},
        }

    def start(self) -> InClusterLoad:
        """Create the pod (replacing one of the same name) and wait until it runs."""
        self.cluster.kubectl(
            "delete", "pod", "-n", SHOP, self.name, "--ignore-not-found", "--wait=true"
        )
        self.cluster.kubectl("apply", "-f", "-", stdin=json.dumps(self.pod))
        poll_until(
            lambda: self._phase() in ("Running", "Succeeded", "Failed") or None,
            what=f"load pod {self.name} running",
            timeout=180,
        )
        return self

    def _phase(self) -> str:
        proc = self.cluster.kubectl("get", "pod", "-n", SHOP, self.name, "-o", "json")
        return str(json.loads(proc.stdout)["status"].get("phase", ""))

    def _ended(self) -> str | None:
        phase = self._phase()
        return phase if phase in ("Succeeded", "Failed") else None

    def result(self, grace: float = 180.0) -> LoadResult:
        """Wait for the pod to end (its duration, then retries draining, up to ``grace``
        seconds more); its counts, and the pod deleted."""
        ended = poll_until(
            self._ended,
            what=f"load pod {self.name} to finish",
            timeout=self.config.duration + grace,
            interval=2,
        )
        log = self.cluster.kubectl("logs", "-n", SHOP, self.name, check=False)
        if ended != "Succeeded":
            raise StackError(f"load pod {self.name} {ended}: {log.stdout[-2000:]}{log.stderr}")
        self.delete()
        return LoadResult.from_json(json.loads(log.stdout.strip().splitlines()[-1]))

    def stop(self) -> None:
        """End the load now (SIGTERM to the generator, PID 1 of its container, which then
        finishes what it has under way and reports as at the end of its duration)."""
        signal = "import os, signal; os.kill(1, signal.SIGTERM)"
        self.cluster.kubectl("exec", "-n", SHOP, self.name, "--", "python", "-c", signal)

    def delete(self) -> None:
        """Delete the pod, whatever it is doing (its counts are lost if it still runs)."""
        self.cluster.kubectl(
            "delete", "pod", "-n", SHOP, self.name, "--ignore-not-found", "--wait=false",
            check=False,
        )  # fmt: skip
