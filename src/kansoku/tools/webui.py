"""Web UIs built from the source a pinned Go module carries (Prometheus's ``web/ui``).

The recipe is data, under the tool's ``ui:`` key in ``tools/versions.yaml``::

    ui:
      source: web/ui          # the pnpm workspace inside the module
      pnpm: 10.34.9           # installed from npm into the build's scratch directory
      overrides: {"@mantine/code-highlight": 9.6.2}   # versions the registry does not serve

A build copies the workspace out of the read-only module cache, writes the overrides into its
``pnpm-workspace.yaml`` (pnpm then resolves the lockfile with them), installs and runs the
upstream ``build_ui.sh``, and keeps the resulting ``static/`` in a cache entry of its own,
``<name>-ui-<release>-<hash>``, beside the binaries. The hash covers the module version and the
whole ``ui:`` recipe, so changing a pin or an override builds anew.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kansoku import locations
from kansoku.errors import BuildError, ConfigError, ToolError
from kansoku.tools.build import Progress
from kansoku.tools.build import _run_step as run_step
from kansoku.tools.cachelock import entry_lock
from kansoku.tools.versions import Tool, Versions

# The upstream script's target for the current UI; it builds the workspace's modules first.
BUILD_ARGS = ("build_ui.sh", "--mantine-ui")
# What a built entry must hold for Prometheus to serve its UI.
INDEX = Path("static") / "mantine-ui" / "index.html"
_UI_SUFFIX = "-ui"


@dataclass(frozen=True)
class UiRecipe:
    """How to build one tool's web UI from its module's source."""

    tool: Tool
    source: str
    pnpm: str
    overrides: dict[str, str]

    @property
    def name(self) -> str:
        """What ``kansoku tools install`` calls it, e.g. ``prometheus-ui``."""
        return f"{self.tool.name}{_UI_SUFFIX}"

    @property
    def recipe_hash(self) -> str:
        blob = {
            "module": self.tool.module,
            "version": self.tool.version,
            "source": self.source,
            "pnpm": self.pnpm,
            "overrides": self.overrides,
            "build": BUILD_ARGS,
        }
        return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:10]

    @property
    def cache_key(self) -> str:
        return f"{self.name}-{self.tool.release}-{self.recipe_hash}"


def parse(tool: Tool, section: Any, file: str) -> UiRecipe:
    """The ``<tool>.ui`` section of the versions file, checked field by field."""
    where = f"{tool.name}.ui"
    if not isinstance(section, dict):
        raise ConfigError(file, where, "a mapping with source, pnpm and overrides")
    source, pnpm = section.get("source"), section.get("pnpm")
    if not isinstance(source, str) or not source or source.startswith("/") or ".." in source:
        raise ConfigError(file, f"{where}.source", "a directory inside the module, e.g. web/ui")
    if not isinstance(pnpm, str | int | float) or not str(pnpm):
        raise ConfigError(file, f"{where}.pnpm", "the exact pnpm version to build with")
    overrides = section.get("overrides") or {}
    if not isinstance(overrides, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int | float) for k, v in overrides.items()
    ):
        raise ConfigError(file, f"{where}.overrides", "a mapping of npm package -> version")
    return UiRecipe(tool, source, str(pnpm), {k: str(v) for k, v in overrides.items()})


def recipes(versions: Versions) -> list[UiRecipe]:
    """Every pinned tool's web UI recipe, in the versions file's order."""
    file = str(locations.versions_file())
    return [parse(t, t.ui, file) for t in versions.tools.values() if t.ui is not None]


def recipe_named(versions: Versions, name: str) -> UiRecipe | None:
    return next((r for r in recipes(versions) if r.name == name), None)


def cache_entry(recipe: UiRecipe) -> Path:
    return locations.cache_dir() / "tools" / recipe.cache_key


def installed(recipe: UiRecipe) -> Path | None:
    """The built entry (a directory holding ``static/``), or ``None`` when not built."""
    entry = cache_entry(recipe)
    return entry if (entry / INDEX).is_file() else None


def apply_overrides(workspace_yaml: str, overrides: dict[str, str]) -> str:
    """``pnpm-workspace.yaml`` with ``overrides`` merged in (ours win over upstream's)."""
    data = yaml.safe_load(workspace_yaml) or {}
    if not isinstance(data, dict):
        raise ConfigError("pnpm-workspace.yaml", "(top level)", "a mapping")
    data["overrides"] = {**(data.get("overrides") or {}), **overrides}
    header = "# Overrides added by kansoku from tools/versions.yaml.\n"
    return header + yaml.safe_dump(data, sort_keys=False, width=200)


def install(recipe: UiRecipe, progress: Progress) -> tuple[Path, str]:
    """The built entry and whether it was ``cache`` or ``built``; builds under a file lock."""
    found = installed(recipe)
    if found:
        return found, "cache"
    entry = cache_entry(recipe)
    with entry_lock(entry, f"{recipe.name} {recipe.tool.release}", progress):
        if installed(recipe) is None:
            build(recipe, entry, progress)
    return entry, "built"


def _module_dir(recipe: UiRecipe, work: Path, log: Path) -> Path:
    """The module's directory in the Go module cache (downloaded from the proxy if needed)."""
    go = shutil.which("go")
    if go is None:
        raise ToolError(f"the Go toolchain ('go') is needed to fetch {recipe.tool.module}")
    ref = f"{recipe.tool.module}@{recipe.tool.version}"
    proc = subprocess.run(
        [go, "mod", "download", "-json", ref], cwd=work, capture_output=True, text=True, check=False
    )
    with log.open("a") as out:
        out.write(f"\n$ go mod download -json {ref}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        raise BuildError(recipe.name, recipe.tool.module, "go mod download", proc.stderr.strip())
    return Path(json.loads(proc.stdout)["Dir"])


def _copy_source(recipe: UiRecipe, module_dir: Path, dest: Path) -> None:
    """Copy the workspace out of the module cache, writable (the cache is read-only)."""
    source = module_dir / recipe.source
    if not (source / "pnpm-workspace.yaml").is_file():
        raise BuildError(
            recipe.name, recipe.tool.module, "copy source", f"{source} has no pnpm-workspace.yaml"
        )
    shutil.copytree(source, dest, copy_function=shutil.copyfile)
    for directory, _dirs, _files in os.walk(dest):
        # copytree kept the module cache's read-only directory modes; pnpm writes in them.
        os.chmod(directory, os.stat(directory).st_mode | stat.S_IWUSR)
    workspace = dest / "pnpm-workspace.yaml"
    workspace.write_text(apply_overrides(workspace.read_text(), recipe.overrides))


def _describe(recipe: UiRecipe) -> dict[str, Any]:
    """What an entry was built from, kept beside it for a person looking at the cache."""
    tool = recipe.tool
    return {
        "module": tool.module,
        "version": tool.version,
        "source": recipe.source,
        "pnpm": recipe.pnpm,
        "overrides": recipe.overrides,
        "build": list(BUILD_ARGS),
    }


def _run_build(recipe: UiRecipe, work: Path, src: Path, log: Path, progress: Progress) -> None:
    """pnpm from npm into the scratch directory, the workspace's packages, the upstream build."""
    npm = shutil.which("npm")
    if npm is None:
        raise ToolError(f"Node.js and npm are needed to build {recipe.name}; install Node.js 20+")
    label = dataclasses.replace(recipe.tool, name=recipe.name)  # how progress lines are tagged
    tools = work / "pnpm"
    npm_install = [npm, "install", "--prefix", str(tools), "--no-save", "--no-audit", "--no-fund"]
    step = f"npm install pnpm@{recipe.pnpm}"
    run_step(label, step, [*npm_install, f"pnpm@{recipe.pnpm}"], work, log, progress)
    # CI: pnpm would otherwise ask before replacing node_modules when not on a terminal.
    env = {"PATH": f"{tools / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}", "CI": "1"}
    # Not frozen: the overrides change what the lockfile resolves to, and nothing else.
    install = ["pnpm", "install", "--no-frozen-lockfile"]
    run_step(label, "pnpm install", install, src, log, progress, env=env)
    run_step(label, " ".join(BUILD_ARGS), ["bash", *BUILD_ARGS], src, log, progress, env=env)
    if not (src / INDEX).is_file():
        raise BuildError(recipe.name, recipe.tool.module, "collect assets", f"no {INDEX} built")


def build(recipe: UiRecipe, dest: Path, progress: Progress) -> Path:
    """Build the UI into ``dest``; nothing lands there unless every step succeeded."""
    work = dest.parent / f".build-{dest.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log = dest.parent / f"{dest.name}.build.log"
    log.write_text(f"build of {recipe.name} from {recipe.tool.module} {recipe.tool.version}\n")
    progress(f"[{recipe.name} {recipe.tool.release}] building from {recipe.source}; log: {log}")
    started = time.monotonic()
    src = work / "workspace"
    _copy_source(recipe, _module_dir(recipe, work, log), src)
    _run_build(recipe, work, src, log, progress)
    staged = work / "out"
    staged.mkdir()
    (src / "static").rename(staged / "static")
    (staged / "recipe.json").write_text(json.dumps(_describe(recipe), indent=2) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    staged.rename(dest)
    shutil.rmtree(work, ignore_errors=True)
    progress(f"[{recipe.name} {recipe.tool.release}] built in {time.monotonic() - started:.0f}s")
    return dest
