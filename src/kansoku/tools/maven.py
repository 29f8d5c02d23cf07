"""Fetch a pinned artifact from Maven Central with Maven, check its sha1, unpack it.

The recipe is a ``build: maven`` section of ``tools/versions.yaml`` (OpenSearch)::

    module: org.opensearch.distribution.integ-test-zip:opensearch   # groupId:artifactId
    version: 2.19.6
    packaging: zip
    sha1: 8e071b0f...                  # of the artifact; a mismatch fails the build
    plugin: org.apache.maven.plugins:maven-dependency-plugin:3.6.1
    java: [11, 21]                     # the Java versions the unpacked program runs on

Maven resolves through the user's own ``~/.m2`` (and its settings, mirrors and proxies). The
zip's single top folder (``opensearch-2.19.6/``) becomes the cache entry, so the binaries'
paths in ``binaries`` are relative to it (``bin/opensearch``).
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

from kansoku.errors import BuildError, ToolError
from kansoku.tools.build import Progress
from kansoku.tools.build import _run_step as run_step
from kansoku.tools.java import find_java_home
from kansoku.tools.versions import Tool


def java_range(tool: Tool) -> tuple[int, int]:
    """The ``java: [lowest, highest]`` of a recipe."""
    lowest, highest = tool.recipe.get("java", [17, 17])
    return int(lowest), int(highest)


def _mvn() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ToolError(
            "Maven ('mvn') is needed to fetch OpenSearch from Maven Central; install it "
            "(Debian: apt-get install maven) or point KANSOKU_OPENSEARCH_BIN at an unpacked "
            "OpenSearch's bin/opensearch"
        )
    return mvn


def sha1_of(path: Path) -> str:
    digest = hashlib.sha1()  # noqa: S324 - the checksum Maven Central publishes
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpack(archive: Path, dest: Path) -> None:
    """Unzip ``archive``'s single top folder into ``dest``, keeping the files' modes."""
    with zipfile.ZipFile(archive) as zipped:
        tops = {Path(n).parts[0] for n in zipped.namelist()}
        if len(tops) != 1:
            raise ToolError(f"{archive} has {len(tops)} top folders, expected one")
        zipped.extractall(dest.parent / ".unzip")
        for info in zipped.infolist():
            mode = info.external_attr >> 16
            if mode:
                (dest.parent / ".unzip" / info.filename).chmod(mode & 0o777)
    (dest.parent / ".unzip" / tops.pop()).rename(dest)
    shutil.rmtree(dest.parent / ".unzip")


def fetch(tool: Tool, work: Path, out_dir: Path, log: Path, progress: Progress) -> None:
    """Fetch, check and unpack ``tool`` into ``out_dir`` (which must not exist yet)."""
    mvn = _mvn()
    lowest, highest = java_range(tool)
    java_home = find_java_home(lowest, highest, needed_by=f"{tool.name} {tool.release}")
    packaging = tool.recipe["packaging"]
    artifact = f"{tool.module}:{tool.version}:{packaging}"
    downloads = work / "download"
    argv = [
        mvn,
        "-q",
        "-B",
        "-Dstyle.color=never",
        f"{tool.recipe['plugin']}:copy",
        f"-Dartifact={artifact}",
        f"-DoutputDirectory={downloads}",
    ]
    run_step(tool, f"mvn copy {artifact}", argv, work, log, progress, {"JAVA_HOME": str(java_home)})
    archive = downloads / f"{tool.module.split(':')[1]}-{tool.version}.{packaging}"
    if not archive.is_file():
        raise BuildError(tool.name, tool.module, "mvn copy", f"Maven wrote no {archive}")
    actual = sha1_of(archive)
    if actual != tool.recipe["sha1"]:
        raise BuildError(
            tool.name,
            tool.module,
            "check sha1",
            f"{archive} has sha1 {actual}; tools/versions.yaml pins {tool.recipe['sha1']}",
        )
    unpack(archive, out_dir)
