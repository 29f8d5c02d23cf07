"""kwok's stages: how simulated nodes become Ready and simulated pods Running.

kwok's own module ships them as files; the build copies them next to the binary.
"""

from __future__ import annotations

from pathlib import Path

from kansoku import conventions as cv
from kansoku.cluster.layout import POD_CIDR, Layout, component
from kansoku.errors import ToolError
from kansoku.stack.components import ComponentSpec

STAGES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat/node-heartbeat.yaml",  # keeps the nodes Ready for the node controller
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
)


def stage_config(kwok: Path, out: Path) -> Path:
    """One kwok config file with the stages we use, read from beside the binary."""
    root = kwok.parent / "kustomize" / "stage"
    missing = [s for s in STAGES if not (root / s).is_file()]
    if missing:
        raise ToolError(
            f"kwok's stage files are missing under {root} ({', '.join(missing)}); "
            "'kansoku tools install kwok' puts them next to the binary"
        )
    out.write_text("\n---\n".join((root / s).read_text().strip() for s in STAGES) + "\n")
    return out


def kwok(run: Layout) -> ComponentSpec:
    """kwok serves nothing (no --server-address): it only talks to the API server."""
    stages = stage_config(run.tools["kwok"], run.directory / "kwok-stages.yaml")
    argv = [
        str(run.tools["kwok"]),
        f"--kubeconfig={run.kubeconfig}",
        f"--config={stages}",
        f"--manage-nodes-with-annotation-selector={cv.KWOK_NODE_ANNOTATION}=fake",
        f"--cidr={POD_CIDR}",
        f"--node-ip={POD_CIDR.split('/', maxsplit=1)[0]}",
    ]
    return component("kwok", 3, argv, None)
