"""The contrib image is built from our distribution: it runs the agent's own config
(otel-agent.yaml), and the components of the agent's cluster layer (otel-agent-cluster.yaml)
that our distribution lacks are exactly the ones docs/kubernetes.md names."""

from __future__ import annotations

from pathlib import Path

import yaml

from kansoku import locations
from kansoku.tools.versions import load

ROOT = locations.project_root()
AGENT_CONFIG = ROOT / "deploy" / "kubernetes" / "base" / "config"
AGENT = AGENT_CONFIG / "otel-agent.yaml"
CLUSTER_LAYER = AGENT_CONFIG / "otel-agent-cluster.yaml"
SUFFIXES = ("receiver", "processor", "exporter", "extension", "connector")


def our_types() -> set[str]:
    """Component types of our distribution, as module directory names without the kind
    suffix and without underscores (``memorylimiter`` for ``memory_limiter``)."""
    found = set()
    for components in load().components.values():
        for component in components:
            name = component.module.rstrip("/").rsplit("/", 1)[-1]
            for suffix in SUFFIXES:
                name = name.removesuffix(suffix)
            found.add(name)
    return found


def types(path: Path) -> set[str]:
    config = yaml.safe_load(path.read_text())
    return {
        name.split("/", 1)[0]
        for kind in ("receivers", "processors", "exporters", "extensions", "connectors")
        for name in config.get(kind) or {}
    }


def lacking(path: Path) -> set[str]:
    return {t for t in types(path) if t.replace("_", "") not in our_types()}


def test_our_distribution_has_every_component_of_the_agents_own_config() -> None:
    assert "kubelet_stats" in types(AGENT)
    assert not lacking(AGENT)


def test_docs_name_every_component_of_the_cluster_layer_our_distribution_lacks() -> None:
    missing = lacking(CLUSTER_LAYER)
    assert missing == {"k8s_cluster", "k8s_leader_elector"}
    docs = (ROOT / "docs" / "kubernetes.md").read_text()
    section = docs.split("## Images", 1)[1].split("\n## ", 1)[0]
    for component in missing:
        assert f"`{component}`" in section
