"""Prometheus starts where its web UI is, and says once how to build it when it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kansoku import conventions as cv
from kansoku.stack import components, local
from kansoku.stack.ports import free_ports
from kansoku.tools import versions, webui

BINARIES = {b: Path(f"/opt/bin/{b}") for b in components.needed_binaries()}


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty tool cache of this test's own."""
    monkeypatch.setenv(cv.ENV_CACHE_DIR, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _built_ui(cache: Path) -> Path:
    recipe = webui.recipe_named(versions.load(), "prometheus-ui")
    assert recipe is not None
    entry = cache / "tools" / recipe.cache_key
    (entry / webui.INDEX).parent.mkdir(parents=True)
    (entry / webui.INDEX).write_text("<!doctype html>")
    return entry


def _prometheus(tmp_path: Path) -> components.ComponentSpec:
    settings = components.StackSettings(data_dir=tmp_path / "data", ports=free_ports())
    (spec,) = [s for s in components.build_specs(settings, BINARIES) if s.name == cv.PROMETHEUS]
    return spec


def test_prometheus_runs_in_the_built_ui_entry(cache: Path, tmp_path: Path) -> None:
    entry = _built_ui(cache)
    spec = _prometheus(tmp_path)
    assert spec.cwd == entry
    assert (spec.cwd / "static" / "mantine-ui" / "index.html").is_file()
    # Prometheus looks for static/ elsewhere in directories with these names.
    assert spec.cwd.name not in ("prometheus", "web", "ui")
    assert spec.notes == ()
    paths = [
        a.split("=", 1)[1]
        for a in spec.argv
        if a.startswith(("--config.file=", "--storage.tsdb.path="))
    ]
    assert len(paths) == 2
    assert all(Path(p).is_absolute() for p in paths), "relative paths would follow the cwd"


def test_missing_ui_leaves_prometheus_running_with_a_note_naming_the_fix(
    cache: Path, tmp_path: Path
) -> None:
    spec = _prometheus(tmp_path)
    assert spec.cwd is None
    (note,) = spec.notes
    assert "kansoku tools install prometheus-ui" in note
    assert spec.url in note


def test_up_warns_once_about_the_missing_ui(cache: Path, tmp_path: Path) -> None:
    settings = components.StackSettings(data_dir=tmp_path / "data", ports=free_ports())
    reported: list[str] = []
    local.prepare(settings, binaries=BINARIES, report=reported.append)
    warnings = [line for line in reported if "web UI" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: the Prometheus web UI is not built")


def test_up_says_nothing_about_a_built_ui(cache: Path, tmp_path: Path) -> None:
    _built_ui(cache)
    settings = components.StackSettings(data_dir=tmp_path / "data", ports=free_ports())
    reported: list[str] = []
    local.prepare(settings, binaries=BINARIES, report=reported.append)
    assert reported == []
