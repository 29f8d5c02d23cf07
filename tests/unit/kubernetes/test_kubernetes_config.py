"""The configuration inside the ConfigMaps is the one copy under config/, byte for byte, and
every dashboard and rule file there is provisioned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_render import KUBERNETES, ROOT, Rendering

CONFIG = ROOT / "config"
SCRAPE = CONFIG / "prometheus" / "prometheus-kubernetes-scrape.yaml"
PROVISIONING = CONFIG / "grafana" / "provisioning"
AGENT = KUBERNETES / "base" / "config" / "otel-agent.yaml"
AGENT_CLUSTER = KUBERNETES / "base" / "config" / "otel-agent-cluster.yaml"
# Production layers the same OpenSearch overlay as `kansoku up --jaeger-storage opensearch`.
OPENSEARCH = ROOT / "config" / "jaeger" / "jaeger-opensearch.yaml"
ALERTMANAGER = CONFIG / "alertmanager"
# dev runs one Alertmanager: its own target list replaces the base's three replicas.
DEV_ALERTMANAGER_TARGETS = KUBERNETES / "overlays" / "dev" / "config" / "alertmanager-targets.json"

# ConfigMap (name without hash) -> key -> the file it must hold, in both overlays.
SOURCES: dict[str, dict[str, Path]] = {
    "otel-collector-config": {
        "collector.yaml": CONFIG / "collector" / "collector.yaml",
        "collector-kubernetes.yaml": CONFIG / "collector" / "collector-kubernetes.yaml",
    },
    "otel-agent-config": {
        "otel-agent.yaml": AGENT,
        "otel-agent-cluster.yaml": AGENT_CLUSTER,
    },
    "prometheus-config": {"prometheus.yaml": CONFIG / "prometheus" / "prometheus.yaml"},
    "prometheus-scrape": {
        "prometheus-kubernetes-scrape.yaml": SCRAPE,
    },
    "prometheus-targets": {
        p.name: p for p in sorted((CONFIG / "prometheus" / "targets-kubernetes").glob("*.json"))
    },
    "prometheus-rules": {
        p.name: p for p in sorted((CONFIG / "prometheus" / "rules").glob("*.yaml"))
    },
    "alertmanager-config": {
        "alertmanager.yaml": ALERTMANAGER / "alertmanager.yaml",
        **{p.name: p for p in sorted((ALERTMANAGER / "templates").glob("*.tmpl"))},
    },
    "grafana-datasources": {
        "datasources.yaml": PROVISIONING / "datasources" / "datasources.yaml",
    },
    "grafana-dashboard-providers": {
        "dashboards.yaml": PROVISIONING / "dashboards" / "dashboards.yaml",
    },
    "grafana-dashboards": {
        p.name: p for p in sorted((CONFIG / "grafana" / "dashboards").glob("*.json"))
    },
}


def _data(rendering: Rendering, name: str) -> dict[str, str]:
    return rendering.configmap(name).get("data") or {}


@pytest.mark.parametrize("configmap", sorted(SOURCES))
def test_configmap_holds_exactly_the_files_under_config(overlay: Rendering, configmap: str) -> None:
    data = _data(overlay, configmap)
    expected = dict(SOURCES[configmap])
    if overlay.name == "dev" and configmap == "prometheus-targets":
        expected["alertmanager.json"] = DEV_ALERTMANAGER_TARGETS
    missing = sorted(set(expected) - set(data))
    assert not missing, (
        f"{configmap} lacks {missing}: add each file to the configMapGenerator in "
        "deploy/kubernetes/base/kustomization.yaml (kustomize has no globs)"
    )
    extra = sorted(set(data) - set(expected))
    assert not extra, f"{configmap} holds {extra}, which are not files under config/"
    for key, path in expected.items():
        assert data[key] == path.read_text(), f"{configmap}/{key} differs from {path}"


def test_every_dashboard_json_is_provisioned() -> None:
    """Guard for dashboards added later: the generator must list each committed file."""
    kustomization = yaml.safe_load((KUBERNETES / "base" / "kustomization.yaml").read_text())
    generator = next(
        g for g in kustomization["configMapGenerator"] if g["name"] == "grafana-dashboards"
    )
    listed = {entry.split("=", 1)[0] for entry in generator.get("files", [])}
    on_disk = {p.name for p in (CONFIG / "grafana" / "dashboards").glob("*.json")}
    assert on_disk <= listed, (
        f"dashboards not provisioned: {sorted(on_disk - listed)}; add them to the "
        "grafana-dashboards configMapGenerator in deploy/kubernetes/base/kustomization.yaml"
    )


def test_every_rule_file_is_projected_into_rules_dir(overlay: Rendering) -> None:
    prometheus = overlay.find("Deployment", "prometheus")
    volume = next(
        v for v in prometheus["spec"]["template"]["spec"]["volumes"] if v["name"] == "config"
    )
    projected = {}
    for source in volume["projected"]["sources"]:
        cm = source["configMap"]["name"].rsplit("-", 1)[0]
        for item in source["configMap"].get("items", []):
            projected[(cm, item["key"])] = item["path"]
    for key in _data(overlay, "prometheus-rules"):
        assert projected.get(("prometheus-rules", key)) == f"rules/{key}", (
            f"rule file {key} is not projected to rules/{key} in prometheus-deployment.yaml"
        )


def test_prometheus_sees_the_layout_its_config_expects(overlay: Rendering) -> None:
    """prometheus.yaml resolves targets/, scrape/ and rules/ relative to itself."""
    prometheus = overlay.find("Deployment", "prometheus")
    container = prometheus["spec"]["template"]["spec"]["containers"][0]
    assert "--config.file=/etc/prometheus/prometheus.yaml" in container["args"]
    volume = next(
        v for v in prometheus["spec"]["template"]["spec"]["volumes"] if v["name"] == "config"
    )
    paths = {
        item["path"]
        for s in volume["projected"]["sources"]
        for item in s["configMap"].get("items", [])
    }
    config = yaml.safe_load((CONFIG / "prometheus" / "prometheus.yaml").read_text())
    for job in config["scrape_configs"]:
        for sd in job.get("file_sd_configs", []):
            for file in sd["files"]:
                assert file in paths, f"{file} is not mounted"
    assert any(p.startswith("scrape/") and p.endswith(".yaml") for p in paths)
    assert config["scrape_config_files"] == ["scrape/*.yaml"]


def test_collector_takes_the_kubernetes_layer_as_second_config(overlay: Rendering) -> None:
    collector = overlay.find("Deployment", "otel-collector")
    args = collector["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == [
        "--config=/etc/otelcol/collector.yaml",
        "--config=/etc/otelcol/collector-kubernetes.yaml",
    ]


def test_kubernetes_layer_keeps_every_base_pipeline_processor() -> None:
    base = yaml.safe_load((CONFIG / "collector" / "collector.yaml").read_text())
    layer = yaml.safe_load((CONFIG / "collector" / "collector-kubernetes.yaml").read_text())
    for name, pipeline in layer["service"]["pipelines"].items():
        base_processors = base["service"]["pipelines"][name]["processors"]
        processors = pipeline["processors"]
        # Lists replace when layered: the layer must repeat the base's processors, in order,
        # with memory_limiter first and batch last.
        assert [p for p in processors if p in base_processors] == base_processors
        assert processors[0] == "memory_limiter"
        assert processors[-1] == "batch"
        assert "k8s_attributes" in processors
        assert set(processors) <= set(base["processors"]) | set(layer["processors"])


def test_the_agent_takes_its_cluster_layer_as_second_config(overlay: Rendering) -> None:
    agent = overlay.find("DaemonSet", "otel-agent")
    args = agent["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == [
        "--config=/etc/otelcol/otel-agent.yaml",
        "--config=/etc/otelcol/otel-agent-cluster.yaml",
    ]


def _layered(base: Any, layer: Any) -> Any:
    """The collector's merge of two --config files: maps merge, anything else replaces."""
    if isinstance(base, dict) and isinstance(layer, dict):
        return {k: _layered(base[k], v) if k in base else v for k, v in layer.items()} | {
            k: v for k, v in base.items() if k not in layer
        }
    return layer


def test_the_agents_cluster_layer_adds_to_the_lists_it_replaces() -> None:
    """Lists replace when layered: the layer repeats the base's extensions and receivers and
    adds its own; every component the merged service names is defined."""
    base = yaml.safe_load(AGENT.read_text())
    layer = yaml.safe_load(AGENT_CLUSTER.read_text())
    assert set(layer["service"]) <= {"extensions", "pipelines"}
    assert layer["service"]["extensions"] == [*base["service"]["extensions"], "k8s_leader_elector"]
    assert layer["service"]["pipelines"] == {
        "metrics": {
            "receivers": [*base["service"]["pipelines"]["metrics"]["receivers"], "k8s_cluster"]
        }
    }
    merged = _layered(base, layer)
    assert merged["service"]["pipelines"]["metrics"]["processors"] == ["memory_limiter", "batch"]
    assert set(merged["service"]["extensions"]) == set(merged["extensions"])
    for kind, names in merged["service"]["pipelines"]["metrics"].items():
        assert set(names) == set(merged[kind]), kind


def test_jaeger_config_is_the_base_plus_the_overlay_storage(overlay: Rendering) -> None:
    expected = {"jaeger.yaml": CONFIG / "jaeger" / "jaeger.yaml"}
    if overlay.name == "production":
        expected["jaeger-opensearch.yaml"] = OPENSEARCH
    data = _data(overlay, "jaeger-config")
    assert set(data) == set(expected)
    for key, path in expected.items():
        assert data[key] == path.read_text()
