"""One real control plane for the cluster tests, and the renderings applied to it.

The control plane is started once (a cold start is about 15 s) and each rendering is
installed, checked and uninstalled in turn; a missing binary fails the run, it never skips.
Teardown stops every process and fails if one is still alive.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_targets import KUBERNETES, TARGETS

from kansoku.cluster import crds
from kansoku.cluster.controlplane import ControlPlane, binaries
from kansoku.cluster.manifests import Rendering, render
from kansoku.cluster.operations import apply
from kansoku.stack import state as st
from kansoku.tools.lookup import resolve


@pytest.fixture(scope="session")
def kustomize() -> Path:
    return resolve("kustomize").path


@pytest.fixture(scope="session")
def plane(tmp_path_factory: pytest.TempPathFactory, cluster_tools: None) -> Iterator[ControlPlane]:
    cluster = ControlPlane(tmp_path_factory.mktemp("cluster"))
    cluster.start(binaries())
    try:
        yield cluster
    finally:
        cluster.stop()
        left = [pid for pid in cluster.running_pids() if st.pid_alive(pid)]
        assert not left, f"control plane processes left running: {left}"


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("renderings")


@pytest.fixture(scope="session")
def rendered(kustomize: Path, scratch: Path) -> dict[str, Rendering]:
    return {t.name: render(kustomize, KUBERNETES, t, scratch) for t in TARGETS}


@pytest.fixture(scope="session")
def with_crds(plane: ControlPlane, rendered: dict[str, Rendering]) -> ControlPlane:
    """The real CRDs of every custom kind the renderings use, established."""
    for text in crds.needed(list(rendered.values())):
        apply(plane, text)
    plane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    return plane
