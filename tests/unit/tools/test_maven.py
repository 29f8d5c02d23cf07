"""OpenSearch as a pinned Maven artifact: the recipe, the checksum, unpacking, Java."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from kansoku.errors import ConfigError, ToolError
from kansoku.tools import java, maven, versions


def test_opensearch_is_pinned_with_its_checksum() -> None:
    tool = versions.load().tools["opensearch"]
    assert tool.method == "maven"
    assert tool.recipe["sha1"] == "8e071b0fee7911b226f68bdead8946002e6b6e36"
    assert tool.binary_path("opensearch") == "bin/opensearch"
    assert maven.java_range(tool) == (11, 21)


def test_a_maven_recipe_without_a_checksum_is_refused(tmp_path: Path) -> None:
    text = versions.locations.versions_file().read_text()
    bad = tmp_path / "versions.yaml"
    bad.write_text(text.replace("  sha1: 8e071b0fee7911b226f68bdead8946002e6b6e36\n", ""))
    with pytest.raises(ConfigError, match=r"opensearch\.sha1"):
        versions.load(bad)


def test_unpack_keeps_the_executable_bit_and_drops_the_top_folder(tmp_path: Path) -> None:
    archive = tmp_path / "dist.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        script = zipfile.ZipInfo("opensearch-2.19.6/bin/opensearch")
        script.external_attr = (stat.S_IFREG | 0o755) << 16
        zipped.writestr(script, "#!/bin/sh\n")
        zipped.writestr("opensearch-2.19.6/config/jvm.options", "-Xms1g\n")
    dest = tmp_path / "entry"
    maven.unpack(archive, dest)
    assert os.access(dest / "bin" / "opensearch", os.X_OK)
    assert (dest / "config" / "jvm.options").read_text() == "-Xms1g\n"
    assert maven.sha1_of(archive) == maven.sha1_of(archive) != "0" * 40


def _fake_java(folder: Path, version: str) -> Path:
    """A Java home whose bin/java answers -version as a real one does (on stderr)."""
    (folder / "bin").mkdir(parents=True)
    launcher = folder / "bin" / "java"
    launcher.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-04-15' >&2\n")
    launcher.chmod(0o755)
    return folder


def test_java_outside_the_range_is_a_tool_error_naming_what_was_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _fake_java(tmp_path / "jdk-25", "25.0.1")
    monkeypatch.setenv("JAVA_HOME", str(home))
    monkeypatch.delenv("OPENSEARCH_JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(java, "JVM_DIR", tmp_path / "no-jvms")
    with pytest.raises(ToolError, match=r"needs Java 11 to 21.*jdk-25 \(Java 25\)"):
        java.find_java_home(11, 21, needed_by="OpenSearch 2.19.6")


def test_the_first_java_in_the_range_is_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path / "jdk-25", "25.0.1")))
    monkeypatch.delenv("OPENSEARCH_JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    jvms = tmp_path / "jvm"
    _fake_java(jvms / "java-17", "17.0.15")
    _fake_java(jvms / "java-8", "1.8.0_402")
    monkeypatch.setattr(java, "JVM_DIR", jvms)
    assert java.find_java_home(11, 21, needed_by="x") == jvms / "java-17"
    assert java.major_version(jvms / "java-8") == 8


def test_missing_maven_is_a_tool_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match=r"Maven \('mvn'\) is needed"):
        maven._mvn()
