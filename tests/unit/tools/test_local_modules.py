"""Collector components kept in this repository (``local:`` entries of the versions file)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from kansoku.errors import ConfigError
from kansoku.tools import build, local_modules, versions

MODULE = "example.local/collector/demoprocessor"


def _repo(root: Path, local: str = "collector/demoprocessor") -> Path:
    """A checkout with a versions file naming one local processor, and that processor."""
    pinned = {k: v for k, v in versions.load().otelcol.items() if k != "replaces"}
    otelcol = {
        **pinned,
        "components": {
            "receivers": [{"core": "receiver/otlpreceiver"}],
            "processors": [{"core": "processor/batchprocessor"}, {"local": local}],
        },
    }
    (root / "tools").mkdir(parents=True)
    (root / "tools" / "versions.yaml").write_text(yaml.safe_dump({"otelcol": otelcol}))
    module = root / "collector" / "demoprocessor"
    module.mkdir(parents=True)
    (module / "go.mod").write_text(f"module {MODULE}\n\ngo 1.26.0\n")
    (module / "go.sum").write_text("")
    (module / "processor.go").write_text("package demoprocessor\n")
    (module / "processor_test.go").write_text("package demoprocessor\n")
    (module / "README.md").write_text("# demo\n")
    return root


def _load(root: Path) -> versions.Versions:
    return versions.load(root / "tools" / "versions.yaml", root=root)


def _key(root: Path) -> str:
    return _load(root).tools["otelcol"].cache_key


def test_manifest_renders_a_local_component_with_its_module_path_and_directory(
    tmp_path: Path,
) -> None:
    manifest = yaml.safe_load(versions.render_manifest(_load(_repo(tmp_path))))
    assert manifest["processors"][-1] == {
        "gomod": f"{MODULE} v0.0.0",
        "path": "./collector/demoprocessor",
    }
    assert "path" not in manifest["processors"][0]


def test_manifest_for_a_build_points_at_the_checkout(tmp_path: Path) -> None:
    root = _repo(tmp_path / "checkout")
    text = versions.render_manifest(_load(root), output_path="/x", local_root=root)
    entry = yaml.safe_load(text)["processors"][-1]
    assert entry["path"] == str(root / "collector" / "demoprocessor")


def test_committed_manifest_has_no_path_of_this_machine() -> None:
    text = versions.manifest_file().read_text()
    assert str(versions.load().root) not in text
    assert "path: ./collector/serieslimitprocessor" in text


@pytest.mark.parametrize("name", ["processor.go", "go.mod", "go.sum", "internal/extra.go"])
def test_recipe_hash_changes_with_every_build_input(tmp_path: Path, name: str) -> None:
    root = _repo(tmp_path)
    before = _key(root)
    path = root / "collector" / "demoprocessor" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((path.read_text() if path.exists() else "package internal\n") + "\n// x\n")
    assert _key(root) != before


@pytest.mark.parametrize("name", ["processor_test.go", "README.md", "testdata/case.go"])
def test_recipe_hash_ignores_files_the_build_does_not_read(tmp_path: Path, name: str) -> None:
    root = _repo(tmp_path)
    before = _key(root)
    path = root / "collector" / "demoprocessor" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("package demoprocessor // changed\n")
    assert _key(root) == before


def test_recipe_hash_is_the_same_for_a_checkout_elsewhere(tmp_path: Path) -> None:
    here = _repo(tmp_path / "here")
    elsewhere = tmp_path / "somewhere" / "else" / "clone"
    shutil.copytree(here, elsewhere)
    assert _key(here) == _key(elsewhere)
    assert _load(here).local_modules() == _load(elsewhere).local_modules()


def test_recipe_hash_of_the_collector_carries_the_processor_digest() -> None:
    pinned = versions.load()
    local = pinned.local_modules()
    assert [m.module for m in local] == [
        "kansoku.local/collector/serieslimitprocessor",
        "kansoku.local/collector/loglimitprocessor",
    ]
    recipe = pinned.tools["otelcol"].recipe
    assert recipe["local_modules"] == {
        "collector/serieslimitprocessor": local[0].digest,
        "collector/loglimitprocessor": local[1].digest,
    }
    assert str(pinned.root) not in str(recipe)


def test_local_component_without_go_mod_names_the_field(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "collector" / "demoprocessor" / "go.mod").unlink()
    with pytest.raises(ConfigError) as info:
        _load(root)
    assert info.value.field == "otelcol.components.processors[1].local"
    assert "go.mod" in info.value.expected
    assert info.value.file.endswith("versions.yaml")


@pytest.mark.parametrize("path", ["../outside", "/abs/dir", ""])
def test_local_component_outside_the_repository_is_refused(tmp_path: Path, path: str) -> None:
    root = _repo(tmp_path, local=path)
    with pytest.raises(ConfigError) as info:
        _load(root)
    assert info.value.field == "otelcol.components.processors[1].local"
    assert "relative to the repository root" in info.value.expected


def test_go_mod_without_module_line_names_the_file(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    go_mod = root / "collector" / "demoprocessor" / "go.mod"
    go_mod.write_text("go 1.26.0\n")
    with pytest.raises(ConfigError) as info:
        _load(root)
    assert (info.value.file, info.value.field) == (str(go_mod), "module")


def test_module_path_reads_a_quoted_module_line(tmp_path: Path) -> None:
    go_mod = tmp_path / "go.mod"
    go_mod.write_text('// header\nmodule "example.local/q" // comment\n')
    assert local_modules.module_path(go_mod) == "example.local/q"


@pytest.mark.parametrize("directory", ["serieslimitprocessor", "loglimitprocessor"])
def test_local_processor_requires_the_distributions_collector_versions(directory: str) -> None:
    pinned = versions.load()
    (local,) = [m for m in pinned.local_modules() if m.path == f"collector/{directory}"]
    go_mod = (local.directory(pinned.root) / "go.mod").read_text()
    allowed = {pinned.otelcol["core"], pinned.otelcol["stable"]}
    required = [
        line.split()
        for line in go_mod.splitlines()
        if line.strip().startswith(versions.CORE_PREFIX)
    ]
    assert required
    for module, version, *_ in required:
        assert version in allowed, f"{module} {version}"


def test_collector_build_replaces_local_modules_with_their_directory(
    tmp_path: Path, build_steps: list[Sequence[str]]
) -> None:
    root = _repo(tmp_path / "checkout")
    pinned = _load(root)
    build._resolve_collector_modules(
        pinned.tools["otelcol"], pinned, tmp_path, tmp_path / "log", print
    )
    directory = root / "collector" / "demoprocessor"
    steps = build_steps
    assert steps[0] == ["go", "mod", "init", "kansoku.build/otelcol"]
    assert steps[1] == ["go", "mod", "edit", f"-replace={MODULE}={directory}"]
    assert f"{MODULE}@v0.0.0" in steps[2]
    assert steps[2][:2] == ["go", "get"]
    assert steps[3] == ["go", "get", "."]
