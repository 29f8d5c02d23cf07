"""``kansoku tools install --stack`` asks for what ``kansoku up`` runs, and nothing test-only;
``--cluster`` for the control plane the cluster tests start, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from kansoku import cli
from kansoku import conventions as cv
from kansoku.console import assets
from kansoku.stack import components
from kansoku.tools import lookup


def _asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> list[str]:
    """What ``kansoku tools install ARGS`` asked to install (the installs are recorded only)."""
    asked: list[str] = []

    def fake_install(names: Sequence[str] = (), **_: object) -> list[lookup.Resolved]:
        asked.extend(names)
        return [lookup.Resolved(n, tmp_path / n, "cache") for n in names]

    def fake_console(*_: object, **__: object) -> Path:
        asked.append(cv.CONSOLE)
        return tmp_path / cv.CONSOLE

    monkeypatch.setattr(lookup, "install", fake_install)
    monkeypatch.setattr(assets, "install", fake_console)
    result = CliRunner().invoke(cli.cli, ["tools", "install", *args])
    assert result.exit_code == 0, result.output
    return asked


def test_install_stack_asks_for_the_stack_its_uis_and_the_console(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked = _asked(monkeypatch, tmp_path, "--stack")
    assert set(components.needed_binaries()) <= set(asked)
    assert {"prometheus-ui", cv.CONSOLE} <= set(asked)
    for test_only in ("kube-apiserver", "etcd", "kwok", "kubectl", "kustomize"):
        assert test_only not in asked


def test_install_cluster_asks_for_the_control_plane_kwok_and_the_crds_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked = _asked(monkeypatch, tmp_path, "--cluster")
    assert sorted(asked) == sorted(
        [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
            "kubectl",
            "kwok",
            "prometheus-operator-crds",
        ]
    )


@pytest.mark.parametrize(
    "args", [["--stack", "kwok"], ["--cluster", "kwok"], ["--stack", "--cluster"]]
)
def test_install_refuses_two_selections_at_once(args: list[str]) -> None:
    result = CliRunner().invoke(cli.cli, ["tools", "install", *args])
    assert result.exit_code != 0
    assert "give one of BINARIES, --stack or --cluster" in result.output
