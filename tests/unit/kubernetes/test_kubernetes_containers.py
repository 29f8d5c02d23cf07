"""Each workload as its container sees it: the files at the mounted paths, the variables its
configuration reads, the ports its probes dial, how its Go runtime holds the memory limit.

What would break on running containers, checked without a node."""

from __future__ import annotations

import re
from typing import Any

import yaml
from kube_render import Rendering, pod_specs

_ENV_WITHOUT_DEFAULT = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_CONFIG_FLAGS = ("--config=", "--config.file=")
# Go programs with a memory limit: GOMEMLIMIT at 80% of it (the collector's rule, so the GC
# works harder before the kernel's OOM killer acts), or the program sizes itself from the
# cgroup: Prometheus 3 sets GOMEMLIMIT to 90% of the limit by default (auto-gomemlimit),
# VictoriaLogs caps its caches at 60% of it (-memory.allowedPercent).
_GOMEMLIMIT_80 = ("otel-collector", "otel-agent", "jaeger")
_SIZE_THEMSELVES = {"prometheus": "--no-auto-gomemlimit", "victorialogs": "-memory.allowedPercent"}


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _mebibytes(quantity: str) -> int:
    match = re.fullmatch(r"(\d+)(Mi|Gi)", quantity)
    assert match, quantity
    return int(match.group(1)) * (1024 if match.group(2) == "Gi" else 1)


def _configmap_files(rendering: Rendering, source: dict[str, Any]) -> dict[str, str]:
    """Relative path -> text of one configMap volume source (its items, or every key)."""
    (cm,) = [c for c in rendering.of_kind("ConfigMap") if c["metadata"]["name"] == source["name"]]
    data = cm.get("data", {})
    if "items" in source:
        return {item["path"]: data[item["key"]] for item in source["items"]}
    return dict(data)


def _files(rendering: Rendering, spec: dict[str, Any], container: dict[str, Any]) -> dict[str, str]:
    """Absolute path -> text of every ConfigMap file the container sees."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    out = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"], {})  # absent: a StatefulSet's claim template
        sources = [volume["configMap"]] if "configMap" in volume else []
        if "projected" in volume:
            sources = [s["configMap"] for s in volume["projected"]["sources"] if "configMap" in s]
        for source in sources:
            for rel, text in _configmap_files(rendering, source).items():
                out[f"{mount['mountPath'].rstrip('/')}/{rel}"] = text
    return out


def _strings(node: Any) -> list[str]:
    """Every string of a parsed YAML document (keys and values; comments are gone)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def _config_args(container: dict[str, Any]) -> list[str]:
    args = [*container.get("command", []), *container.get("args", [])]
    return [a.split("=", 1)[1] for a in args if a.startswith(_CONFIG_FLAGS)]


def _containers(rendering: Rendering) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(where, spec, c) for where, spec in pod_specs(rendering) for c in spec["containers"]]


def test_every_config_file_named_in_the_args_is_mounted(rendering: Rendering) -> None:
    seen = 0
    for where, spec, container in _containers(rendering):
        files = _files(rendering, spec, container)
        for path in _config_args(container):
            seen += 1
            assert path in files, f"{where}: {path} is not at a mounted path ({sorted(files)})"
    assert seen >= 4, "collector (2), agent, Jaeger, Prometheus, Alertmanager name config files"


def test_every_variable_a_config_reads_without_default_is_set(rendering: Rendering) -> None:
    for where, spec, container in _containers(rendering):
        files = _files(rendering, spec, container)
        env = _env(container)
        for path in _config_args(container):
            document = yaml.safe_load(files[path])
            needed = {v for s in _strings(document) for v in _ENV_WITHOUT_DEFAULT.findall(s)}
            missing = needed - set(env)
            assert not missing, f"{where}: {path} reads ${{env:...}} of unset {sorted(missing)}"


def test_probes_dial_declared_ports(rendering: Rendering) -> None:
    for where, _spec, container in _containers(rendering):
        named = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
        numbers = set(named.values())
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = container.get(kind, {})
            handler = probe.get("httpGet") or probe.get("tcpSocket")
            if handler is None:
                continue
            port = handler["port"]
            assert port in named if isinstance(port, str) else port in numbers, (where, kind, port)


def test_go_programs_hold_their_memory_limit(rendering: Rendering) -> None:
    for where, _spec, container in _containers(rendering):
        name = where.split("/", 1)[1]
        limit = _mebibytes(container["resources"]["limits"]["memory"])
        env = _env(container)
        if name in _GOMEMLIMIT_80:
            assert env.get("GOMEMLIMIT") == f"{limit * 8 // 10}MiB", (where, limit)
        elif name in _SIZE_THEMSELVES:
            assert "GOMEMLIMIT" not in env, where
            flag = _SIZE_THEMSELVES[name]
            assert not any(a.startswith(flag) for a in container.get("args", [])), (where, flag)


def test_the_agent_dials_its_kubelet_by_address(rendering: Rendering) -> None:
    """The cluster DNS serves Services and pods, not nodes: a node name resolves only where
    the host's DNS knows it (kind), so the kubelet is dialled by the node's IP."""
    (agent,) = [
        (spec, c) for where, spec, c in _containers(rendering) if where == "DaemonSet/otel-agent"
    ]
    spec, container = agent
    config = yaml.safe_load(_files(rendering, spec, container)["/etc/otelcol/otel-agent.yaml"])
    endpoint = config["receivers"]["kubelet_stats"]["endpoint"]
    variable = _ENV_WITHOUT_DEFAULT.search(endpoint)
    assert variable, endpoint
    assert _env(container)[variable.group(1)] == {"fieldRef": {"fieldPath": "status.hostIP"}}


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)", duration)
    assert match, duration
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[match.group(2)]


def test_a_deleted_collector_pod_drains_before_it_stops(rendering: Rendering) -> None:
    """The persistent queue is not drained on shutdown and its emptyDir dies with the pod:
    the preStop sleep outlasts the clients' connections (max_connection_age and its grace),
    one batch timeout and one and a half WAL intervals, and the grace period leaves the
    shutdown its own 30 s after it."""
    (spec, container) = next(
        (spec, c)
        for where, spec, c in _containers(rendering)
        if where == "Deployment/otel-collector"
    )
    files = _files(rendering, spec, container)
    base = yaml.safe_load(files["/etc/otelcol/collector.yaml"])
    layer = yaml.safe_load(files["/etc/otelcol/collector-kubernetes.yaml"])
    server = layer["receivers"]["otlp"]["protocols"]["grpc"]["keepalive"]["server_parameters"]
    wal = base["exporters"]["prometheus_remote_write"]["wal"]
    needed = (
        _seconds(server["max_connection_age"])
        + _seconds(server["max_connection_age_grace"])
        + _seconds(base["processors"]["batch"]["timeout"])
        + 1.5 * _seconds(wal["truncate_frequency"])
    )
    sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert sleep >= needed, (sleep, needed)
    assert spec["terminationGracePeriodSeconds"] >= sleep + 30
