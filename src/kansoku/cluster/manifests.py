"""The manifests as the cluster tests apply them: every overlay, and every optional component
on top of the production overlay, found on disk (a new overlay or component is covered by
being there), rendered with the pinned kustomize."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kansoku import conventions as cv
from kansoku.errors import StackError

# The component renderings are built on this overlay (the one users extend).
COMPONENT_BASE = "production"
WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet")


@dataclass(frozen=True)
class Target:
    """One thing to render: an overlay, or an overlay plus one component."""

    name: str
    overlay: str
    component: str | None = None
    # A component kept outside deploy/kubernetes/components (one only tests apply): its
    # directory, used instead of ``component``.
    component_dir: Path | None = None


@dataclass
class Rendering:
    name: str
    text: str
    objects: list[dict[str, Any]] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] in kinds]

    def workloads(self) -> list[dict[str, Any]]:
        return self.of_kind(*WORKLOAD_KINDS)

    def keys(self) -> set[tuple[str, str, str]]:
        """``(kind, namespace, name)`` of every object."""
        return {key(o) for o in self.objects}


# The dev overlay as the real-node tests apply it: less Grafana (AGPL, so no image of it is
# built), the node agent without its cluster layer (our distribution lacks k8s_cluster and
# k8s_leader_elector), never pulling (the node has no registry). The component is for tests
# only and lives with them, not under deploy/.
REAL_NODE_COMPONENT = Path("tests", "cluster", "components", "real-node")


def real_node(root: Path) -> Target:
    """The dev overlay plus the test-only real-node component (``root``: the checkout)."""
    return Target("dev+real-node", "dev", component_dir=root / REAL_NODE_COMPONENT)


def key(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return (obj["kind"], meta.get("namespace", ""), meta["name"])


def targets(kubernetes: Path) -> list[Target]:
    """Every overlay, then every component on top of the production overlay."""
    overlays = sorted(p.parent.name for p in (kubernetes / "overlays").glob("*/kustomization.yaml"))
    found = [Target(o, o) for o in overlays]
    for path in sorted((kubernetes / "components").glob("*/kustomization.yaml")):
        name = path.parent.name
        found.append(Target(f"{COMPONENT_BASE}+{name}", COMPONENT_BASE, name))
    if not overlays:
        raise StackError(f"no overlays under {kubernetes / 'overlays'}")
    return found


def _kustomization_dir(kubernetes: Path, target: Target, scratch: Path) -> Path:
    """The directory to build: the overlay itself, or a small overlay adding the component."""
    overlay = kubernetes / "overlays" / target.overlay
    component = target.component_dir
    if component is None and target.component is not None:
        component = kubernetes / "components" / target.component
    if component is None:
        return overlay
    user = scratch / target.name
    user.mkdir(parents=True, exist_ok=True)
    # Kustomize refuses absolute paths to other kustomizations: refer to them relatively.
    rel = Path(os.path.relpath(kubernetes, user))
    component_rel = Path(os.path.relpath(component, user))
    user.joinpath("kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [str(rel / "overlays" / target.overlay)],
                "components": [str(component_rel)],
            }
        )
    )
    return user


def render(kustomize: Path, kubernetes: Path, target: Target, scratch: Path) -> Rendering:
    directory = _kustomization_dir(kubernetes, target, scratch)
    argv = [str(kustomize), "build", "--load-restrictor", "LoadRestrictionsNone", str(directory)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        raise StackError(f"kustomize build {directory} failed:\n{proc.stderr}")
    objects = [o for o in yaml.safe_load_all(proc.stdout) if o]
    return Rendering(target.name, proc.stdout, objects)


def ours(obj: dict[str, Any]) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    return labels.get(cv.PART_OF_LABEL) in cv.PART_OF_VALUES


def label_selector() -> str:
    return f"{cv.PART_OF_LABEL} in ({','.join(cv.PART_OF_VALUES)})"
