"""Build the console's web assets and cache them outside the checkout, per source hash.

The cache key is a digest of the lockfile and every source file of ``console/``, so a change
to either rebuilds and nothing stale is served; the built files are never committed. The
build runs ``npm ci`` (exactly the committed ``package-lock.json``) and ``vite build`` into a
scratch directory, then renames it into place, so a failed build leaves no half entry.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import ToolError
from kansoku.tools.cachelock import entry_lock

Progress = Callable[[str], None]
# What the build reads; node_modules and dist are outputs.
_SOURCES = ("package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "index.html")
_SOURCE_DIRS = ("src",)
_NPM_TIMEOUT = 1800.0  # a cold npm ci on a busy two-core machine takes minutes


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def source_dir() -> Path:
    return locations.project_root() / "console"


def source_hash(root: Path | None = None) -> str:
    """Digest of the console's lockfile and sources (paths and contents)."""
    base = root or source_dir()
    files = [base / name for name in _SOURCES]
    for sub in _SOURCE_DIRS:
        files += sorted(p for p in (base / sub).rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        if not path.is_file():
            raise ToolError(f"console source {path} is missing")
        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_entry(root: Path | None = None) -> Path:
    return locations.cache_dir() / "console" / f"console-{source_hash(root)}"


def resolve(root: Path | None = None) -> Path:
    """The built assets (a directory with ``index.html``): ``KANSOKU_CONSOLE_ASSETS`` or the
    cache entry of the current sources; a clear error when neither exists."""
    override = os.environ.get(cv.ENV_CONSOLE_ASSETS)
    if override:
        path = Path(override)
        if not (path / "index.html").is_file():
            raise ToolError(f"{cv.ENV_CONSOLE_ASSETS}={path} has no index.html")
        return path
    entry = cache_entry(root)
    if not (entry / "index.html").is_file():
        raise ToolError(
            f"the console is not built for these sources ({entry.name}); "
            "run 'kansoku tools install console' (or 'make up')"
        )
    return entry


def _run(argv: list[str], cwd: Path, log: Path, step: str, progress: Progress) -> None:
    progress(f"[console] {step}")
    with log.open("a", encoding="utf-8") as out:
        try:
            proc = subprocess.run(
                argv,
                check=False,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=_NPM_TIMEOUT,
            )
        except FileNotFoundError as exc:
            raise ToolError(f"building the console needs '{argv[0]}' (Node.js and npm)") from exc
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-20:])
        raise ToolError(f"building the console failed at '{step}'; log {log}:\n{tail}")


def _build(root: Path, entry: Path, progress: Progress) -> None:
    scratch = entry.with_name(entry.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    log = entry.with_name(entry.name + ".log")
    log.write_text("", encoding="utf-8")
    # --ignore-scripts: no install script runs (none is needed: Vite 8 bundles with rolldown).
    _run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], root, log, "npm ci", progress
    )
    bin_dir = root / "node_modules" / ".bin"
    _run([str(bin_dir / "tsc"), "--noEmit"], root, log, "tsc (type check)", progress)
    vite = str(bin_dir / "vite")
    _run(
        [vite, "build", "--outDir", str(scratch), "--emptyOutDir"],
        root,
        log,
        "vite build",
        progress,
    )
    scratch.rename(entry)


def install(root: Path | None = None, *, progress: Progress = _stderr) -> Path:
    """The built assets, building them first when the cache has none for these sources.

    One build per entry at a time (a file lock), as for the Go tools.
    """
    base = root or source_dir()
    entry = cache_entry(base)
    if (entry / "index.html").is_file():
        return entry
    with entry_lock(entry, "console", progress):
        if not (entry / "index.html").is_file():
            _build(base, entry, progress)
    progress(f"[console] built into {entry}")
    return entry
