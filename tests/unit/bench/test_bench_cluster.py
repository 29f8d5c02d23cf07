"""bench cluster's parts that need no node: the kubelet's resource metrics read into working
sets and CPU against requests and limits, the loopback-only kubeconfig, readiness reasons."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from kansoku.bench import kube, podload, workingset
from kansoku.bench.command import bench
from kansoku.errors import ConfigError, StackError


def _series(metric: str, pod: str, container: str, value: str) -> str:
    labels = f'container="{container}",namespace="observability",pod="{pod}"'
    return f"{metric}{{{labels}}} {value} 1733500000000"


CPU, MEMORY = "container_cpu_usage_seconds_total", "container_memory_working_set_bytes"
# A kubelet's /metrics/resource, trimmed: two collector replicas, Prometheus, and a node
# series the parser must skip.
METRICS = "\n".join(
    [
        "# TYPE container_cpu_usage_seconds_total counter",
        _series(CPU, "otel-collector-a", "otel-collector", "10.5"),
        _series(CPU, "otel-collector-b", "otel-collector", "20"),
        _series(CPU, "prometheus-x", "prometheus", "3"),
        "# TYPE container_memory_working_set_bytes gauge",
        _series(MEMORY, "otel-collector-a", "otel-collector", "1.048576e+08"),
        _series(MEMORY, "otel-collector-b", "otel-collector", "2.097152e+08"),
        _series(MEMORY, "prometheus-x", "prometheus", "5.36870912e+08"),
        "node_memory_working_set_bytes 1.2e+10 1733500000000",
    ]
)


def _pod(name: str, app: str, container: str, request: str, limit: str | None) -> dict[str, Any]:
    resources: dict[str, Any] = {"requests": {"memory": request}}
    if limit:
        resources["limits"] = {"memory": limit}
    return {
        "metadata": {
            "name": name,
            "namespace": "observability",
            "labels": {"app.kubernetes.io/name": app},
        },
        "spec": {"containers": [{"name": container, "resources": resources}]},
    }


PODS = [
    _pod("otel-collector-a", "otel-collector", "otel-collector", "256Mi", "512Mi"),
    _pod("otel-collector-b", "otel-collector", "otel-collector", "256Mi", "512Mi"),
    _pod("prometheus-x", "prometheus", "prometheus", "256Mi", None),
]


def test_parse_reads_working_sets_and_cpu_of_containers_only() -> None:
    sample = workingset.parse(METRICS)
    key = ("observability", "otel-collector-b", "otel-collector")
    assert sample.working_set[key] == 200 * 2**20
    assert sample.cpu_seconds[key] == 20
    assert len(sample.working_set) == 3
    assert ("", "", "") not in sample.working_set


def test_rows_keep_the_busiest_replica_against_request_and_limit() -> None:
    before = workingset.parse(METRICS)
    after = workingset.parse(METRICS.replace('b"} 20 ', 'b"} 50 '))  # b used 30 s of CPU
    rows = {
        r.metric: r
        for r in workingset.rows("idle", before, after, 60.0, workingset.containers(PODS))
    }
    collector = rows["observability/otel-collector/otel-collector working set idle"]
    assert collector.value == 200  # MiB, the larger replica
    assert collector.limit == 512
    assert collector.note == "78% of request, 39% of limit"
    assert rows["observability/otel-collector/otel-collector CPU idle"].value == 0.5
    prometheus = rows["observability/prometheus/prometheus working set idle"]
    assert prometheus.limit is None
    assert prometheus.note.endswith("unset of limit")


def _kubeconfig(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "node", "cluster": {"server": server}}],
                "contexts": [{"name": "admin", "context": {"cluster": "node", "user": "admin"}}],
                "current-context": "admin",
            }
        )
    )
    return path


def test_only_a_loopback_api_server_is_measured(tmp_path: Path) -> None:
    assert kube.loopback_cluster(_kubeconfig(tmp_path, "https://127.0.0.1:6443")).kubeconfig
    with pytest.raises(ConfigError, match=r"clusters\[node\]\.server"):
        kube.loopback_cluster(_kubeconfig(tmp_path, "https://10.0.0.1:6443"))
    with pytest.raises(ConfigError, match=r"127\.0\.0\.0/8"):
        kube.loopback_cluster(_kubeconfig(tmp_path, "https://kubernetes.example:443"))


class FakeKubectl:
    """The ``kubectl`` interface over canned ``get -o json`` answers."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        out = self.answers.get(args[1])
        if out is None:
            raise StackError(f"unexpected kubectl {args}")
        return subprocess.CompletedProcess(list(args), 0, out, "")


def test_waiting_workloads_name_the_ones_not_ready() -> None:
    ready = {
        "kind": "Deployment",
        "metadata": {"name": "jaeger", "namespace": "observability", "generation": 1},
        "spec": {"replicas": 1},
        "status": {"observedGeneration": 1, "updatedReplicas": 1, "availableReplicas": 1},
    }
    rendered = [
        ready,
        {"kind": "StatefulSet", "metadata": {"name": "victorialogs", "namespace": "observability"}},
    ]
    fake = FakeKubectl({"deployment,statefulset": json.dumps({"items": [ready]})})
    assert kube.waiting_workloads(fake, rendered) == ["StatefulSet/victorialogs: not created yet"]


def test_bench_cluster_requires_a_kubeconfig() -> None:
    result = CliRunner().invoke(bench, ["cluster"])
    assert result.exit_code == 2
    assert "--kubeconfig" in result.output


def _rendering(request: str = "100m", minimum: int = 2, target: int = 70) -> list[dict[str, Any]]:
    container = {"name": "otel-collector", "resources": {"requests": {"cpu": request}}}
    loadgen = {"name": "loadgen", "image": "kansoku/loadgen:dev"}
    hpa_metric = {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": target},
        },
    }
    return [
        {
            "kind": "Deployment",
            "metadata": {"name": "otel-collector", "namespace": "observability"},
            "spec": {"template": {"spec": {"containers": [container]}}},
        },
        {
            "kind": "Deployment",
            "metadata": {"name": "loadgen", "namespace": "default"},
            "spec": {"template": {"spec": {"containers": [loadgen]}}},
        },
        {
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "otel-collector", "namespace": "observability"},
            "spec": {"minReplicas": minimum, "metrics": [hpa_metric]},
        },
    ]


def test_the_scaling_load_is_twice_the_hpa_target_on_its_minimum() -> None:
    # 2 replicas x 0.1 core x 70% x 2 = 0.28 core, at 100,000 spans per collector core.
    assert podload.scaling_spans_per_second(_rendering()) == 28_000
    assert podload.scaling_spans_per_second(_rendering("200m", 3, 50)) == 60_000
    config = podload.scaling_load(_rendering(), 120.0, "svc")
    assert config.endpoint == "http://otel-collector.observability.svc:4318"
    assert config.points_per_second == 0
    assert config.reconnect_seconds > 0, "replicas added later must get new connections"
    assert config.concurrency > 1


def test_the_load_pod_is_restricted_never_pulls_and_is_one_of_the_shop() -> None:
    config = podload.scaling_load(_rendering(), 60.0, "svc")
    pod = podload.InClusterLoad(
        FakeKubectl({}), podload.image(_rendering(), "loadgen"), "load", config
    ).pod
    [container] = pod["spec"]["containers"]
    assert container["image"] == "kansoku/loadgen:dev"
    assert container["imagePullPolicy"] == "Never"
    assert container["securityContext"] == podload.RESTRICTED
    assert container["command"][-1] == config.to_json()
    assert pod["metadata"]["namespace"] == "default"
    assert pod["metadata"]["labels"]["app.kubernetes.io/part-of"] == "kansoku-shop"
    assert pod["spec"]["restartPolicy"] == "Never"
