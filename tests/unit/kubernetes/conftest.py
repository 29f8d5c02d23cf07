"""Render the Kustomize overlays once per session, with the pinned kustomize binary.

No cluster and no kubectl: ``kansoku tools install`` (run by ``make test``) builds kustomize
into the tool cache; when it is missing these tests fail, they do not skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from kube_render import (
    COMPONENTS,
    KUBERNETES,
    OVERLAYS,
    RENDERINGS,
    Rendering,
    build,
    parse,
)

from kansoku import locations
from kansoku.cluster import manifests
from kansoku.tools.lookup import resolve


@pytest.fixture(scope="session")
def kustomize() -> Path:
    return resolve("kustomize").path


@pytest.fixture(scope="session")
def renderings(
    kustomize: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Rendering]:
    out: dict[str, Rendering] = {}
    for overlay in OVERLAYS:
        out[overlay] = parse(overlay, build(kustomize, KUBERNETES / "overlays" / overlay))
    for name, component in COMPONENTS.items():
        # A user's overlay: production plus the component. Kustomize refuses absolute
        # paths to other kustomizations, so refer to them relatively.
        user = tmp_path_factory.mktemp(f"user-overlay-{component}")
        rel = Path(os.path.relpath(KUBERNETES, user))
        (user / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "resources": [str(rel / "overlays" / "production")],
                    "components": [str(rel / "components" / component)],
                }
            )
        )
        out[name] = parse(name, build(kustomize, user))
    return out


@pytest.fixture(params=RENDERINGS)
def rendering(request: pytest.FixtureRequest, renderings: dict[str, Rendering]) -> Rendering:
    return renderings[request.param]


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, renderings: dict[str, Rendering]) -> Rendering:
    return renderings[request.param]


@pytest.fixture(scope="session")
def real_node(kustomize: Path, tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    """The dev overlay less Grafana, rendered as the real-node tests render it."""
    target = manifests.real_node(locations.project_root())
    out = manifests.render(kustomize, KUBERNETES, target, tmp_path_factory.mktemp("real-node"))
    return parse(out.name, out.text)
