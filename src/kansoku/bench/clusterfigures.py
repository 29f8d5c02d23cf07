"""``bench cluster``: the dev overlay on the real node (less Grafana, and the node agent
without its cluster layer: tests/cluster/components/real-node), timed and weighed.

Against a running one-node cluster with real containers and the images already imported
(reached through its loopback API server forwarder), it measures:

- apply to every workload Ready (target 60 s on the 2-core reference machine);
- every container's working set, idle (load generator scaled to 0) and under load, against
  its memory request and limit, and its CPU;
- the collector HPA's reaction: from the load's start to desiredReplicas above the minimum,
  and to that many replicas Ready (needs metrics-server), with its peak CPU utilization.

The load, all inside the cluster: the shop's own, light (loadgen -> shop-frontend ->
shop-backend, every signal through the collector), and OTLP spans from a pod of the shop's
namespace (``kansoku.bench.podload``, as the real-node HPA test sends them), sized from the
rendering to twice the HPA's CPU target on its minimum of replicas. The shop alone cannot
drive the collector there: on two cores its services saturate the machine first.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kansoku import locations
from kansoku.bench import kube, podload, workingset
from kansoku.bench.report import Row, ScenarioResult
from kansoku.cluster import manifests
from kansoku.cluster.kubectl import Kubectl
from kansoku.errors import StackError
from kansoku.stack.supervisor import Report
from kansoku.tools.lookup import resolve
from kansoku.verify.poll import PollTimeoutError, poll_until

TARGET_READY_SECONDS = 60.0
RECEIVERS = ("default", "page", "ticket", "shop-page", "shop-ticket", "watchdog")
SHOP = "default"
STACK = "observability"


@dataclass(frozen=True)
class ClusterOptions:
    kubeconfig: Path
    settle: float = 30.0  # after a change of load, before the first sample
    window: float = 30.0  # between the two samples of a phase (CPU is their difference)
    duration: float = 180.0  # of load; the HPA is watched meanwhile
    # The shop's load, light: the OTLP load from a pod drives the collector.
    loadgen_replicas: int = 1
    loadgen_users: int = 5  # per replica
    ready_timeout: float = 600.0


def rendering(
    scratch: Path, kubernetes: Path | None = None, root: Path | None = None
) -> list[dict[str, Any]]:
    """The dev overlay plus the real-node component, rendered as the tests do; from another
    ``deploy/kubernetes`` tree when given (an earlier revision's, for the upgrade test), with
    the component of ``root`` (a tree holding it; default this checkout)."""
    checkout = locations.project_root()
    target = manifests.real_node(root or checkout)
    tree = kubernetes or checkout / "deploy" / "kubernetes"
    return manifests.render(resolve("kustomize").path, tree, target, scratch).objects


def receivers_secret() -> dict[str, Any]:
    """The Secret Alertmanager needs before it starts; every URL on the pod's loopback."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "alertmanager-receivers", "namespace": STACK},
        "stringData": {f"{r}-webhook-url": f"http://127.0.0.1:9/{r}" for r in RECEIVERS},
    }


def apply_until_ready(cluster: Kubectl, objects: list[dict[str, Any]], timeout: float) -> float:
    """Apply a rendering (namespaces and the receivers' Secret first) and wait until every
    workload is Ready; the seconds it took. Not Ready in time: a StackError saying why."""
    started = time.monotonic()
    namespaces = [o for o in objects if o["kind"] == "Namespace"]
    kube.apply(cluster, [*namespaces, receivers_secret()])
    kube.apply(cluster, [o for o in objects if o["kind"] != "Namespace"])

    def ready() -> bool:
        waiting = kube.waiting_workloads(cluster, objects)
        if waiting:
            raise StackError("; ".join(waiting))
        return True

    try:
        poll_until(ready, what="every workload Ready", timeout=timeout, interval=1)
    except PollTimeoutError as exc:
        raise StackError(str(exc)) from None
    return time.monotonic() - started


def _set_load(cluster: Kubectl, replicas: int, users: int) -> None:
    if replicas:
        cluster.kubectl(
            "set", "env", "deployment/loadgen", "-n", SHOP, f"KANSOKU_LOADGEN_USERS={users}"
        )
    cluster.kubectl("scale", "deployment/loadgen", "-n", SHOP, f"--replicas={replicas}")


def _phase(cluster: Kubectl, name: str, options: ClusterOptions, report: Report) -> list[Row]:
    report(f"{name}: settling {options.settle:.0f}s, sampling over {options.window:.0f}s")
    time.sleep(options.settle)
    known = workingset.containers(kube.get_json(cluster, "pods", "-A")["items"])
    before = workingset.parse(kube.resource_metrics(cluster))
    started = time.monotonic()
    time.sleep(options.window)
    after = workingset.parse(kube.resource_metrics(cluster))
    return workingset.rows(name, before, after, time.monotonic() - started, known)


@dataclass
class HpaWatch:
    """When the collector's HPA first wanted, and then had Ready, more than its minimum."""

    started: float
    wanted: float | None = None
    ready: float | None = None
    peak: int | None = None  # the highest averageUtilization the HPA read, %

    def look(self, cluster: Kubectl) -> None:
        hpa = kube.get_json(cluster, "hpa/otel-collector", "-n", STACK)
        minimum = hpa["spec"].get("minReplicas", 1)
        now = time.monotonic() - self.started
        for metric in hpa.get("status", {}).get("currentMetrics") or []:
            value = metric.get("resource", {}).get("current", {}).get("averageUtilization")
            if value is not None and (self.peak is None or value > self.peak):
                self.peak = int(value)
        if self.wanted is None and hpa.get("status", {}).get("desiredReplicas", 0) > minimum:
            self.wanted = now
        deployment = kube.get_json(cluster, "deployment/otel-collector", "-n", STACK)
        if self.ready is None and deployment["status"].get("readyReplicas", 0) > minimum:
            self.ready = now

    def rows(self, duration: float) -> list[Row]:
        def row(metric: str, value: float | None) -> Row:
            if value is None:
                return Row(metric, duration, "s", note="not reached during the load")
            return Row(metric, value, "s")

        peak = Row("collector HPA: peak CPU utilization (% of request)", self.peak or 0, "%")
        return [
            row("collector HPA: load start to desired above minimum", self.wanted),
            row("collector HPA: load start to those replicas Ready", self.ready),
            peak,
        ]


def _loaded(
    cluster: Kubectl, objects: list[dict[str, Any]], options: ClusterOptions, report: Report
) -> list[Row]:
    """Load for ``duration``: the HPA looked at every 2 s from the start, the working sets
    sampled after ``settle`` and again ``window`` later."""
    _set_load(cluster, options.loadgen_replicas, options.loadgen_users)
    config = podload.scaling_load(objects, options.duration, "otlp-load-bench")
    load = podload.InClusterLoad(cluster, podload.image(objects, "loadgen"), "otlp-load", config)
    report(
        f"under load for {options.duration:.0f}s ({config.spans_per_second:,.0f} spans/s "
        f"from a pod, the shop's load generator beside); sampling after {options.settle:.0f}s"
    )
    try:
        load.start()
        watch = HpaWatch(time.monotonic())
        samples: list[tuple[float, workingset.Sample]] = []
        due = [options.settle, options.settle + options.window]
        while (elapsed := time.monotonic() - watch.started) < options.duration or len(samples) < 2:
            if len(samples) < 2 and elapsed >= due[len(samples)]:
                samples.append((time.monotonic(), workingset.parse(kube.resource_metrics(cluster))))
            watch.look(cluster)
            time.sleep(2.0)
        result = load.result()
    except BaseException:
        load.delete()
        raise
    known = workingset.containers(kube.get_json(cluster, "pods", "-A")["items"])
    (t0, before), (t1, after) = samples
    accepted = Row(
        "OTLP load: spans/s accepted by the collector",
        result.spans.sent / result.seconds,
        "spans/s",
        note=f"{config.spans_per_second:,.0f} asked; refused {result.spans.refused}, "
        f"failed {result.spans.failed}",
    )
    return [
        *workingset.rows("under load", before, after, t1 - t0, known),
        accepted,
        *watch.rows(options.duration),
    ]


def run(options: ClusterOptions, report: Report) -> ScenarioResult:
    out = ScenarioResult("cluster")
    cluster = kube.loopback_cluster(options.kubeconfig)
    with tempfile.TemporaryDirectory(prefix="kansoku-bench-cluster-") as scratch:
        objects = rendering(Path(scratch))
    report("applying the dev overlay (real-node component); waiting for every workload Ready")
    seconds = apply_until_ready(cluster, objects, options.ready_timeout)
    out.add(Row("apply to every workload Ready", seconds, "s", TARGET_READY_SECONDS))
    _set_load(cluster, 0, 0)
    out.add(*_phase(cluster, "idle", options, report))
    out.add(*_loaded(cluster, objects, options, report))
    out.details["options"] = {
        "loadgen_replicas": options.loadgen_replicas,
        "loadgen_users": options.loadgen_users,
        "duration": options.duration,
        "otlp_spans_per_second": podload.scaling_spans_per_second(objects),
    }
    return out
