"""Rendered Kustomize output as objects, for the tests of deploy/kubernetes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kansoku import locations

ROOT = locations.project_root()
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "production")
# The optional components are each rendered on top of the production overlay.
WITH_SERVICEMONITORS = "production+servicemonitors"
WITH_LOKI = "production+loki"
WITH_OPENSEARCH = "production+opensearch"
COMPONENTS = {
    WITH_SERVICEMONITORS: "servicemonitors",
    WITH_LOKI: "loki",
    WITH_OPENSEARCH: "opensearch",
}
RENDERINGS = (*OVERLAYS, *COMPONENTS)


@dataclass
class Rendering:
    """One ``kustomize build`` output: the YAML text and the objects in it."""

    name: str
    text: str
    objects: list[dict[str, Any]] = field(default_factory=list)

    def find(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        hits = [
            o
            for o in self.objects
            if o["kind"] == kind
            and o["metadata"]["name"] == name
            and (namespace is None or o["metadata"].get("namespace") == namespace)
        ]
        assert len(hits) == 1, f"{self.name}: expected one {kind} {name}, found {len(hits)}"
        return hits[0]

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] in kinds]

    def configmap(self, prefix: str) -> dict[str, Any]:
        """A generated ConfigMap, found by its name without the content hash."""
        hits = [
            o
            for o in self.of_kind("ConfigMap")
            if o["metadata"]["name"].rsplit("-", 1)[0] == prefix
        ]
        assert len(hits) == 1, f"{self.name}: expected one ConfigMap {prefix}-<hash>"
        return hits[0]


def build(kustomize: Path, directory: Path) -> str:
    proc = subprocess.run(
        [str(kustomize), "build", "--load-restrictor", "LoadRestrictionsNone", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, f"kustomize build {directory} failed:\n{proc.stderr}"
    return proc.stdout


def parse(name: str, text: str) -> Rendering:
    objects = [o for o in yaml.safe_load_all(text) if o]
    return Rendering(name, text, objects)


def pod_specs(rendering: Rendering) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(kind/name, pod spec)`` of every workload."""
    for obj in rendering.of_kind("Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob"):
        if obj["kind"] == "CronJob":
            template = obj["spec"]["jobTemplate"]["spec"]["template"]
        else:
            template = obj["spec"]["template"]
        yield f"{obj['kind']}/{obj['metadata']['name']}", template["spec"]
