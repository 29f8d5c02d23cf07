"""The versions file, the generated builder manifest and binary lookup."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from kansoku.errors import ConfigError, ToolError
from kansoku.tools import build, lookup, versions


def test_committed_builder_manifest_matches_versions_file() -> None:
    rendered = versions.render_manifest(versions.load())
    assert versions.manifest_file().read_text() == rendered, (
        "tools/otelcol-builder.yaml is stale; run 'kansoku tools manifest'"
    )


def test_every_collector_module_is_at_one_release() -> None:
    pinned = versions.load()
    manifest = yaml.safe_load(versions.render_manifest(pinned))
    otelcol = pinned.otelcol
    allowed = {otelcol["core"], otelcol["stable"], otelcol["contrib"]}
    rows = [
        m["gomod"]
        for kind in (
            "receivers",
            "processors",
            "exporters",
            "connectors",
            "extensions",
            "providers",
        )
        for m in manifest[kind]
        if "path" not in m  # local components: see test_local_modules.py
    ]
    assert rows
    for row in rows:
        module, version = row.split(" ")
        assert version in allowed, row
        if module.startswith(versions.CONTRIB_PREFIX):
            assert version == otelcol["contrib"], row


def test_manifest_has_the_components_the_config_uses() -> None:
    manifest = versions.render_manifest(versions.load())
    for needed in (
        "otlpreceiver",
        "prometheusreceiver",
        "hostmetricsreceiver",
        "memorylimiterprocessor",
        "resourcedetectionprocessor",
        "batchprocessor",
        "k8sattributesprocessor",
        "prometheusremotewriteexporter",
        "otlpexporter",
        "debugexporter",
        "fileexporter",
        "spanmetricsconnector",
        "healthcheckextension",
        "filestorage",
        "pprofextension",
        "zpagesextension",
        "serieslimitprocessor",
    ):
        assert needed in manifest, needed


def test_cache_key_changes_with_the_recipe() -> None:
    pinned = versions.load()
    tool = pinned.tools["prometheus"]
    changed = versions.Tool(**{**tool.__dict__, "recipe": {**tool.recipe, "version": "v9"}})
    assert tool.cache_key != changed.cache_key
    assert tool.cache_key.startswith("prometheus-3.16.0-")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "versions.yaml"
    path.write_text(text)
    return path


def test_versions_file_missing_field_names_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "prometheus:\n  release: 1.0.0\n  module: m\n  binaries: {p: x}\n")
    with pytest.raises(ConfigError) as info:
        versions.load(path)
    assert info.value.field == "prometheus.version"
    assert str(path) in str(info.value)


def test_versions_file_rejects_unknown_component_origin(tmp_path: Path) -> None:
    text = versions.load().otelcol
    text = {**text, "components": {"receivers": [{"elsewhere": "receiver/x"}]}}
    path = _write(tmp_path, yaml.safe_dump({"otelcol": text}))
    with pytest.raises(ConfigError) as info:
        versions.load(path)
    assert info.value.field == "otelcol.components.receivers[0]"


KUBELET = "github.com/open-telemetry/opentelemetry-collector-contrib/internal/kubelet"


def test_a_replaced_dependency_is_in_the_manifest_and_the_builds_go_mod(
    tmp_path: Path, build_steps: list[Sequence[str]]
) -> None:
    pinned = versions.load()
    version = pinned.replaces[KUBELET]  # kubeletstats's, not served at the contrib pin
    assert version != pinned.otelcol["contrib"]
    manifest = yaml.safe_load(versions.render_manifest(pinned))
    assert f"{KUBELET} => {KUBELET} {version}" in manifest["replaces"]
    build._resolve_collector_modules(pinned.tools["otelcol"], pinned, tmp_path, tmp_path, print)
    replace = ["go", "mod", "edit", f"-replace={KUBELET}={KUBELET}@{version}"]
    first_get = next(i for i, argv in enumerate(build_steps) if argv[:2] == ["go", "get"])
    assert replace in build_steps[:first_get]


def test_versions_file_rejects_a_replace_without_a_version(tmp_path: Path) -> None:
    otelcol = {**versions.load().otelcol, "replaces": {KUBELET: "latest"}}
    path = _write(tmp_path, yaml.safe_dump({"otelcol": otelcol}))
    with pytest.raises(ConfigError) as info:
        versions.load(path)
    assert info.value.field == "otelcol.replaces"


def _fake_binary(path: Path, version_line: str) -> Path:
    path.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_env_variable_binary_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_binary(tmp_path / "promtool", "promtool, version 3.16.0 (branch: x)")
    monkeypatch.setenv("KANSOKU_PROMTOOL_BIN", str(fake))
    resolved = lookup.resolve("promtool")
    assert (resolved.path, resolved.source) == (fake, "env")


def test_env_variable_pointing_nowhere_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KANSOKU_PROMTOOL_BIN", str(tmp_path / "missing"))
    with pytest.raises(ToolError, match="KANSOKU_PROMTOOL_BIN"):
        lookup.resolve("promtool")


def test_path_binary_is_used_only_at_the_pinned_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KANSOKU_PROMTOOL_BIN", raising=False)
    monkeypatch.setenv("KANSOKU_CACHE_DIR", str(tmp_path / "cache"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_binary(bin_dir / "promtool", "promtool, version 2.0.0")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(ToolError, match=r"promtool 3\.16\.0 is not installed"):
        lookup.resolve("promtool")
    _fake_binary(bin_dir / "promtool", "promtool, version 3.16.0 (branch: module)")
    assert lookup.resolve("promtool").source == "path"


def test_cached_binary_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KANSOKU_JAEGER_BIN", raising=False)
    monkeypatch.setenv("KANSOKU_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", "/nonexistent")
    tool = versions.load().tools["jaeger"]
    entry = lookup.cache_entry(tool)
    entry.mkdir(parents=True)
    fake = _fake_binary(entry / "jaeger", '{"gitVersion":"v2.13.0"}')
    assert lookup.resolve("jaeger") == lookup.Resolved("jaeger", fake, "cache")
