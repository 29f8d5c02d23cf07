"""The web UI recipe: the override written into the module's workspace, and the cache key."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
import yaml

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import ConfigError, ToolError
from kansoku.tools import lookup, versions, webui

# The shape of web/ui/pnpm-workspace.yaml in the Prometheus module (v0.316.0).
UPSTREAM_WORKSPACE = """\
packages:
  - "mantine-ui"
  - "module/*"
strictDepBuilds: true
allowBuilds:
  esbuild: true
# Wait three days before installing newly published packages.
minimumReleaseAge: 4320
"""


def _recipe() -> webui.UiRecipe:
    recipe = webui.recipe_named(versions.load(), "prometheus-ui")
    assert recipe is not None, "tools/versions.yaml has no prometheus.ui section"
    return recipe


def test_committed_recipe_pins_pnpm_and_the_unserved_version_override() -> None:
    recipe = _recipe()
    assert recipe.tool.module == "github.com/prometheus/prometheus"
    assert recipe.source == "web/ui"
    assert recipe.pnpm == "10.34.9"
    assert recipe.overrides == {"@mantine/code-highlight": "9.6.2"}
    assert recipe.cache_key.startswith("prometheus-ui-3.16.0-")


def test_override_is_written_into_the_workspace_and_keeps_upstream_settings() -> None:
    patched = yaml.safe_load(
        webui.apply_overrides(UPSTREAM_WORKSPACE, {"@mantine/code-highlight": "9.6.2"})
    )
    assert patched["overrides"] == {"@mantine/code-highlight": "9.6.2"}
    assert patched["packages"] == ["mantine-ui", "module/*"]
    assert patched["allowBuilds"] == {"esbuild": True}
    assert patched["minimumReleaseAge"] == 4320


def test_our_override_wins_over_an_upstream_one_and_others_stay() -> None:
    upstream = UPSTREAM_WORKSPACE + 'overrides:\n  "a": "1.0.0"\n  "b": "2.0.0"\n'
    patched = yaml.safe_load(webui.apply_overrides(upstream, {"b": "2.1.0"}))
    assert patched["overrides"] == {"a": "1.0.0", "b": "2.1.0"}


@pytest.mark.parametrize(
    "change",
    [
        {"overrides": {"@mantine/code-highlight": "9.6.1"}},
        {"overrides": {"@mantine/code-highlight": "9.6.2", "react": "19.3.0"}},
        {"overrides": {}},
        {"pnpm": "10.34.8"},
        {"source": "web/ui/mantine-ui"},
    ],
)
def test_cache_key_changes_with_every_part_of_the_recipe(change: dict[str, object]) -> None:
    recipe = _recipe()
    assert dataclasses.replace(recipe, **change).cache_key != recipe.cache_key  # type: ignore[arg-type]


def test_cache_key_changes_with_the_module_version() -> None:
    recipe = _recipe()
    other = dataclasses.replace(recipe, tool=dataclasses.replace(recipe.tool, version="v0.315.0"))
    assert other.cache_key != recipe.cache_key


def test_ui_section_is_not_part_of_the_binaries_cache_key(tmp_path: Path) -> None:
    data = yaml.safe_load(locations.versions_file().read_text())
    data["prometheus"]["ui"]["overrides"]["@mantine/code-highlight"] = "9.6.1"
    changed = tmp_path / "versions.yaml"
    changed.write_text(yaml.safe_dump(data))
    before, after = versions.load(), versions.load(changed, locations.project_root())
    assert after.tools["prometheus"].cache_key == before.tools["prometheus"].cache_key
    ui_before = webui.recipe_named(before, "prometheus-ui")
    ui_after = webui.recipe_named(after, "prometheus-ui")
    assert ui_before is not None
    assert ui_after is not None
    assert ui_after.cache_key != ui_before.cache_key


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("web/ui", "prometheus.ui"),
        ({"source": "../../etc", "pnpm": "10.34.9"}, "prometheus.ui.source"),
        ({"source": "web/ui"}, "prometheus.ui.pnpm"),
        ({"source": "web/ui", "pnpm": "10", "overrides": ["x@1"]}, "prometheus.ui.overrides"),
    ],
)
def test_bad_ui_section_names_the_field(section: object, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        webui.parse(_recipe().tool, section, "tools/versions.yaml")
    assert caught.value.field == field
    assert caught.value.file == "tools/versions.yaml"


def test_source_is_copied_writable_with_the_override_and_the_module_is_untouched(
    tmp_path: Path,
) -> None:
    module = tmp_path / "mod"
    ui = module / "web" / "ui"
    (ui / "mantine-ui").mkdir(parents=True)
    (ui / "pnpm-workspace.yaml").write_text(UPSTREAM_WORKSPACE)
    (ui / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    (ui / "mantine-ui" / "package.json").write_text("{}\n")
    for path in [*ui.rglob("*"), ui, module / "web", module]:  # as read-only as the module cache
        path.chmod(0o555 if path.is_dir() else 0o444)
    copy = tmp_path / "copy"
    try:
        webui._copy_source(_recipe(), module, copy)
    finally:
        for path in [module, module / "web", ui, *ui.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert yaml.safe_load((copy / "pnpm-workspace.yaml").read_text())["overrides"] == {
        "@mantine/code-highlight": "9.6.2"
    }
    assert "overrides" not in (ui / "pnpm-workspace.yaml").read_text()
    assert (copy / "pnpm-lock.yaml").read_text() == "lockfileVersion: '9.0'\n"
    assert os.access(copy / "mantine-ui", os.W_OK)


def test_a_built_entry_is_found_in_the_cache_without_building(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(cv.ENV_CACHE_DIR, str(tmp_path))
    recipe = _recipe()
    assert webui.installed(recipe) is None
    entry = tmp_path / "tools" / recipe.cache_key
    (entry / webui.INDEX).parent.mkdir(parents=True)
    (entry / webui.INDEX).write_text("<!doctype html>")
    monkeypatch.setattr(webui, "build", lambda *a: pytest.fail("built although cached"))
    found = lookup.resolve_ui(recipe, progress=lambda _m: None)
    assert (found.binary, found.path, found.source) == ("prometheus-ui", entry, "cache")


def test_install_knows_the_ui_by_name_and_refuses_unknown_names() -> None:
    with pytest.raises(ToolError, match=r"expected one of .*prometheus-ui"):
        lookup.install(["prometheus-gui"])
