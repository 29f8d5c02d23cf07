"""The recipes of the control-plane tools: wrapper modules, local replaces, data files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kansoku.errors import ConfigError
from kansoku.tools import versions
from kansoku.tools.build import local_replaces

KUBERNETES_GO_MOD = """\
module k8s.io/kubernetes

go 1.26.0

require (
\tk8s.io/api v0.0.0
\tgithub.com/spf13/cobra v1.10.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/apimachinery v0.0.0 => ./staging/src/k8s.io/apimachinery
\tgithub.com/example/fork => github.com/example/fork v1.2.3
)

replace k8s.io/kubectl => ./staging/src/k8s.io/kubectl
"""


def test_local_replaces_are_the_folders_only() -> None:
    assert local_replaces(KUBERNETES_GO_MOD) == [
        "k8s.io/api",
        "k8s.io/apimachinery",
        "k8s.io/kubectl",
    ]


def test_control_plane_tools_are_pinned_with_their_recipes() -> None:
    pinned = versions.load()
    kubernetes = pinned.tools["kubernetes"]
    assert kubernetes.method == "wrapper-module"
    assert kubernetes.local_replaces == "v0.37.2"
    assert set(kubernetes.binaries) == {
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kubectl",
        "kubelet",
        "kube-proxy",
    }
    etcd = pinned.tools["etcd"]
    assert etcd.method == "wrapper-module"
    assert all(m.startswith("go.etcd.io/etcd/") for m in etcd.also)
    assert pinned.tools["kwok"].data == ("kustomize/stage",)
    crds = pinned.tools["prometheus-operator-crds"]
    assert (crds.method, crds.binaries) == ("files", {})


def test_a_files_entry_without_data_names_the_field(tmp_path: Path) -> None:
    text = (versions.locations.versions_file()).read_text()
    text += "\nbroken:\n  release: 1\n  module: example.com/m\n  version: v1.0.0\n  build: files\n"
    path = tmp_path / "versions.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"broken\.data"):
        versions.load(path)


def test_the_data_recipe_is_part_of_the_cache_key() -> None:
    kwok = versions.load().tools["kwok"]
    changed = versions.Tool(**{**kwok.__dict__, "recipe": {**kwok.recipe, "data": ["other"]}})
    assert changed.cache_key != kwok.cache_key


def test_real_node_tools_are_pinned_with_their_recipes() -> None:
    pinned = versions.load()
    containerd = pinned.tools["containerd"]
    assert set(containerd.binaries) == {"containerd", "containerd-shim-runc-v2", "ctr"}
    # overlayfs is the node's snapshotter; the others need libraries and kernels we lack.
    assert containerd.tags == ("no_btrfs", "no_devmapper", "no_zfs")
    for name, binary in (
        ("coredns", "coredns"),
        ("kube-router", "kube-router"),
        ("metrics-server", "metrics-server"),
    ):
        assert pinned.tool_for_binary(binary).name == name
        assert pinned.tools[name].method == "wrapper-module"
