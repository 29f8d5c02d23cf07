"""Find the upstream binaries: ``KANSOKU_<NAME>_BIN``, then PATH at the pinned version, then
the per-version cache; build into the cache when allowed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kansoku import conventions, locations
from kansoku.errors import ToolError
from kansoku.tools import build as builder
from kansoku.tools import webui
from kansoku.tools.cachelock import entry_lock
from kansoku.tools.versions import Tool, Versions, load

_VERSION_ARGS: dict[str, list[str]] = {
    "prometheus": ["--version"],
    "promtool": ["--version"],
    "jaeger": ["version"],
    "kubectl": ["version", "--client"],
}


@dataclass(frozen=True)
class Resolved:
    binary: str
    path: Path
    source: str  # "env", "path", "cache" or "built"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def binary_version(path: Path, binary: str) -> str | None:
    """The release a binary reports, e.g. ``3.16.0``; ``None`` when it says nothing usable."""
    args = _VERSION_ARGS.get(binary, ["--version"])
    try:
        proc = subprocess.run(
            [str(path), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"v?(\d+\.\d+\.\d+)", proc.stdout + proc.stderr)
    return match.group(1) if match else None


def cache_entry(tool: Tool) -> Path:
    return locations.cache_dir() / "tools" / tool.cache_key


def _cached(tool: Tool, binary: str) -> Path | None:
    path = cache_entry(tool) / tool.binary_path(binary)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def resolve(
    binary: str,
    *,
    versions: Versions | None = None,
    build: bool = False,
    progress: builder.Progress = _stderr,
) -> Resolved:
    """Locate ``binary``; build it (and its siblings) into the cache when ``build`` is set."""
    versions = versions or load()
    tool = versions.tool_for_binary(binary)
    env_name = conventions.binary_env(binary)
    given = os.environ.get(env_name)
    if given:
        path = Path(given)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ToolError(f"{env_name}={given} is not an executable file")
        found = binary_version(path, binary)
        if found != tool.release:
            progress(
                f"warning: {env_name} points at {binary} {found or 'of unknown version'}; "
                f"kansoku is tested with {tool.release}"
            )
        return Resolved(binary, path, "env")
    on_path = shutil.which(binary)
    if on_path and binary_version(Path(on_path), binary) == tool.release:
        return Resolved(binary, Path(on_path), "path")
    cached = _cached(tool, binary)
    if cached:
        return Resolved(binary, cached, "cache")
    if not build:
        raise ToolError(
            f"{binary} {tool.release} is not installed; run 'kansoku tools install' "
            f"(or set {env_name})"
        )
    _build_locked(tool, versions, binary, progress)
    built = _cached(tool, binary)
    if built is None:
        raise ToolError(f"{binary} was built but is missing from {cache_entry(tool)}")
    return Resolved(binary, built, "built")


def _build_locked(tool: Tool, versions: Versions, binary: str, progress: builder.Progress) -> None:
    """Build ``tool`` unless another process built it while this one waited for the lock.

    Two installs at once (two terminals, two checkouts) share the cache; the lock keeps them
    from building into the same scratch directory.
    """
    entry = cache_entry(tool)
    with entry_lock(entry, f"{tool.name} {tool.release}", progress):
        done = entry.is_dir() if tool.method == "files" else _cached(tool, binary) is not None
        if not done:
            builder.build(tool, versions, entry, progress)


def files(name: str, *, build: bool = False, progress: builder.Progress = _stderr) -> Path:
    """The cache entry of a data-only tool (``build: files``), fetched when allowed."""
    versions = load()
    tool = versions.tools.get(name)
    if tool is None or tool.method != "files":
        known = [t.name for t in versions.tools.values() if t.method == "files"]
        raise ToolError(f"no data-only entry named {name} in tools/versions.yaml; one of {known}")
    entry = cache_entry(tool)
    if not entry.is_dir():
        if not build:
            raise ToolError(f"{name} {tool.release} is not installed; run 'kansoku tools install'")
        _build_locked(tool, versions, "", progress)
    return entry


def all_binaries(versions: Versions) -> list[str]:
    return [b for tool in versions.tools.values() for b in tool.binaries]


def resolve_ui(recipe: webui.UiRecipe, *, progress: builder.Progress = _stderr) -> Resolved:
    """Build (or find in the cache) one tool's web UI; ``path`` is its entry with ``static/``."""
    entry, source = webui.install(recipe, progress)
    return Resolved(recipe.name, entry, source)


def install(
    binaries: Sequence[str] = (), *, progress: builder.Progress = _stderr
) -> list[Resolved]:
    """Make the pinned binaries, data-only entries and web UIs named (default: all)
    available, building what is missing; the UIs come last, so a UI build failure keeps
    every binary."""
    versions = load()
    uis = {r.name: r for r in webui.recipes(versions)}
    data_only = [t.name for t in versions.tools.values() if t.method == "files"]
    known = [*all_binaries(versions), *data_only, *uis]
    unknown = [b for b in binaries if b not in known]
    if unknown:
        raise ToolError(
            f"no pinned binary named {', '.join(unknown)} in tools/versions.yaml; "
            f"expected one of {', '.join(known)}"
        )
    wanted = list(binaries) or known
    resolved = [
        Resolved(name, files(name, build=True, progress=progress), "files")
        if name in data_only
        else resolve(name, versions=versions, build=True, progress=progress)
        for name in wanted
        if name not in uis
    ]
    return resolved + [resolve_ui(uis[n], progress=progress) for n in wanted if n in uis]
