"""Find a Java runtime of a version a tool accepts (OpenSearch 2.19: Java 11 to 21).

Looked for in order: ``OPENSEARCH_JAVA_HOME``, ``JAVA_HOME``, the ``java`` on PATH, then every
runtime under ``/usr/lib/jvm`` (Debian installs several there, the default is not always the
one wanted: Java 25 refuses OpenSearch 2.19's Security Manager).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from kansoku.errors import ToolError

JVM_DIR = Path("/usr/lib/jvm")
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


def major_version(java_home: Path) -> int | None:
    """The major version ``bin/java -version`` of ``java_home`` reports (8 for 1.8)."""
    try:
        proc = subprocess.run(
            [str(java_home / "bin" / "java"), "-version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(proc.stderr + proc.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _candidates() -> Iterator[Path]:
    for name in ("OPENSEARCH_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(name):
            yield Path(os.environ[name])
    on_path = shutil.which("java")
    if on_path:
        yield Path(on_path).resolve().parent.parent
    if JVM_DIR.is_dir():
        yield from sorted(p for p in JVM_DIR.iterdir() if (p / "bin" / "java").is_file())


def find_java_home(lowest: int, highest: int, *, needed_by: str) -> Path:
    """The first Java home whose major version is in ``[lowest, highest]``, else a ToolError."""
    seen: dict[Path, int | None] = {}
    for home in _candidates():
        if home in seen:
            continue
        seen[home] = major_version(home)
        version = seen[home]
        if version is not None and lowest <= version <= highest:
            return home
    found = ", ".join(f"{h} (Java {v or '?'})" for h, v in seen.items()) or "none"
    raise ToolError(
        f"{needed_by} needs Java {lowest} to {highest} (17 is tested); found: {found}. "
        f"Install one (Debian: apt-get install openjdk-17-jre-headless) or set "
        f"OPENSEARCH_JAVA_HOME to its home"
    )
