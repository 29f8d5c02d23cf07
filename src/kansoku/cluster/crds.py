"""The real CustomResourceDefinitions of the custom kinds our optional components use."""

from __future__ import annotations

from pathlib import Path

from kansoku.cluster.manifests import Rendering
from kansoku.errors import StackError
from kansoku.tools import lookup

BUILT_IN_GROUPS = {
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "scheduling.k8s.io",
    "apiextensions.k8s.io",
    "admissionregistration.k8s.io",
    "node.k8s.io",
    "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
}
# group -> (data-only entry of tools/versions.yaml, folder of CRD files in it)
SOURCES = {
    "monitoring.coreos.com": ("prometheus-operator-crds", "example/prometheus-operator-crd"),
}
TOOLS = tuple(sorted({entry for entry, _ in SOURCES.values()}))


def _group(api_version: str) -> str:
    return api_version.split("/", maxsplit=1)[0] if "/" in api_version else ""


def needed(renderings: list[Rendering]) -> list[str]:
    """The CRD files (text) for every custom kind in ``renderings``; an unknown group fails."""
    wanted: dict[str, set[str]] = {}
    for rendering in renderings:
        for obj in rendering.objects:
            group = _group(obj["apiVersion"])
            if group not in BUILT_IN_GROUPS:
                wanted.setdefault(group, set()).add(obj["kind"])
    texts = []
    for group, kinds in sorted(wanted.items()):
        if group not in SOURCES:
            raise StackError(
                f"kinds {sorted(kinds)} of API group {group} have no CRD source; "
                "add one to kansoku.cluster.crds.SOURCES"
            )
        entry, folder = SOURCES[group]
        root: Path = lookup.files(entry) / folder
        for kind in sorted(kinds):
            path = root / f"{group}_{kind.lower()}s.yaml"
            if not path.is_file():
                raise StackError(f"no CRD for {group}/{kind} at {path}")
            texts.append(path.read_text())
    return texts
