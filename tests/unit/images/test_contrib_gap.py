"""The contrib image is built from our distribution: the components the agent's config uses
and our distribution lacks are exactly the ones docs/kubernetes.md names."""

from __future__ import annotations

import yaml

from kansoku import locations
from kansoku.tools.versions import load

ROOT = locations.project_root()
AGENT = ROOT / "deploy" / "kubernetes" / "base" / "config" / "otel-agent.yaml"
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


def agent_types() -> set[str]:
    config = yaml.safe_load(AGENT.read_text())
    return {
        name.split("/", 1)[0]
        for kind in ("receivers", "processors", "exporters", "extensions", "connectors")
        for name in config.get(kind) or {}
    }


def test_docs_name_every_agent_component_our_distribution_lacks() -> None:
    lacking = {t for t in agent_types() if t.replace("_", "") not in our_types()}
    assert lacking == {"kubeletstats", "k8s_cluster", "k8s_leader_elector"}
    docs = (ROOT / "docs" / "kubernetes.md").read_text()
    section = docs.split("## Images", 1)[1].split("\n## ", 1)[0]
    for component in lacking:
        assert f"`{component}`" in section
