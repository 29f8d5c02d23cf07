"""Go build tags: Prometheus and the collector keep only the service discoveries kansoku's
configs use, and the tags are part of the build and of the cache key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kansoku import locations
from kansoku.errors import ConfigError
from kansoku.tools import versions
from kansoku.tools.build import go_flags

# Registered by Prometheus whatever the tags (its plugins/minimum.go); static_configs is no plugin.
ALWAYS_BUILT = {"file", "http"}


def _discoveries_used() -> set[str]:
    used: set[str] = set()
    for path in (locations.project_root() / "config").rglob("*.yaml"):
        used |= set(re.findall(r"^\s*-?\s*(\w+)_sd_configs:", path.read_text(), re.MULTILINE))
    return used


@pytest.mark.parametrize("name", ["prometheus", "otelcol"])
def test_every_service_discovery_a_config_uses_is_built_in(name: str) -> None:
    tags = set(versions.load().tools[name].tags)
    assert "remove_all_sd" in tags
    used = _discoveries_used()
    assert {"kubernetes", "file"} <= used  # the cluster's scrape config and the local one
    missing = {sd for sd in used - ALWAYS_BUILT if f"enable_{sd}_sd" not in tags}
    assert not missing, f"{name} is built without the service discoveries {missing}"


def test_the_tags_reach_go_build() -> None:
    prometheus = versions.load().tools["prometheus"]
    flags = go_flags(prometheus, prometheus.ldflags)
    assert "-tags=remove_all_sd,enable_kubernetes_sd" in flags
    assert flags[0] == "-trimpath"
    assert flags[-1].startswith("-ldflags=-s -w -X github.com/prometheus/common/version.Version=")


def test_a_tool_without_tags_gets_no_tags_flag() -> None:
    kwok = versions.load().tools["kwok"]
    assert not any(flag.startswith("-tags") for flag in go_flags(kwok))


def test_the_tags_are_part_of_the_cache_key() -> None:
    prometheus = versions.load().tools["prometheus"]
    recipe = {**prometheus.recipe, "tags": ["remove_all_sd"]}
    changed = versions.Tool(**{**prometheus.__dict__, "recipe": recipe})
    assert changed.cache_key != prometheus.cache_key


def test_tags_that_are_not_a_list_of_names_are_refused(tmp_path: Path) -> None:
    text = locations.versions_file().read_text()
    text = text.replace(
        "  tags: [remove_all_sd, enable_kubernetes_sd]\n  # A module build",
        "  tags: remove_all_sd\n  # A module build",
        1,
    )
    path = tmp_path / "versions.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"prometheus\.tags: a list of non-empty strings"):
        versions.load(path)
