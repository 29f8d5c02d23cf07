"""Upgrade from the manifests of an earlier revision to the current ones, then uninstall."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_targets import TARGETS

from kansoku.cluster import history
from kansoku.cluster.controlplane import ControlPlane
from kansoku.cluster.manifests import Rendering, Target, key, ours, render
from kansoku.cluster.operations import (
    applied_by_us,
    apply,
    leftovers,
    live_objects,
    prune,
    settle,
    uninstall,
)

pytestmark = pytest.mark.cluster

OVERLAYS = [t for t in TARGETS if t.component is None]


DEFAULT_NAMESPACE = ("Namespace", "", "default")


def labelled(rendering: Rendering) -> set[tuple[str, str, str]]:
    """The objects pruning and the uninstall check find: those with the project's labels."""
    return {key(o) for o in rendering.objects if ours(o)}


@pytest.mark.parametrize("target", OVERLAYS, ids=[t.name for t in OVERLAYS])
def test_every_object_but_the_default_namespace_carries_the_labels(
    rendered: dict[str, Rendering], target: Target
) -> None:
    rendering = rendered[target.name]
    assert rendering.keys() - labelled(rendering) == {DEFAULT_NAMESPACE}


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    commit, how = history.previous_revision()
    return history.export(commit, tmp_path_factory.mktemp("earlier")), f"{commit[:12]} ({how})"


@pytest.mark.parametrize("target", OVERLAYS, ids=[t.name for t in OVERLAYS])
def test_upgrade_prunes_what_was_dropped_and_uninstall_leaves_nothing(
    with_crds: ControlPlane,
    rendered: dict[str, Rendering],
    kustomize: Path,
    earlier: tuple[Path, str],
    tmp_path: Path,
    target: Target,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plane, (old_tree, revision) = with_crds, earlier
    if not (old_tree / "overlays" / target.overlay).is_dir():
        pytest.fail(f"{revision} has no overlay {target.overlay}; upgrade from a later one")
    old = render(kustomize, old_tree, target, tmp_path)
    new = rendered[target.name]
    earlier_warnings = apply(plane, old.text, allow_warnings=True).warnings
    settle(plane, old)
    apply(plane, new.text)  # an immutable field changed would fail here
    kinds = {o["kind"] for o in (*old.objects, *new.objects)}
    pruned = prune(plane, new, kinds)
    settle(plane, new)
    with capsys.disabled():
        print(f"\nupgrade {target.name} from {revision}: pruned {len(pruned)} objects {pruned}")
        for warning in earlier_warnings:
            print(f"  the earlier manifests drew: {warning}")
    live = {key(o) for o in live_objects(plane, kinds) if applied_by_us(o)}
    assert live == labelled(new), "objects of ours that the current manifests do not have"
    assert set(pruned) == labelled(old) - labelled(new)
    uninstall(plane, new)
    assert [k for k in leftovers(plane) if k != DEFAULT_NAMESPACE] == []
