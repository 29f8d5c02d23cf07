"""Collector components built from a directory of this repository (``local: <dir>`` entries).

A local component is a Go module with its own go.mod. The collector build points its module
path at the directory with a ``replace``, and the recipe hash carries a digest of the files
that shape the build, so changing the component rebuilds the collector. Only paths relative to
the module directory enter the digest: a checkout elsewhere gives the same cache key.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kansoku.errors import ConfigError

# A local module is never fetched; the builder manifest and `go get` still need a version.
LOCAL_VERSION = "v0.0.0"
_MODULE_LINE = re.compile(r'^module\s+"?([^"\s]+)"?\s*(?://.*)?$', re.MULTILINE)


@dataclass(frozen=True)
class LocalModule:
    """A Go module in the repository: its directory (relative, POSIX), path and build digest."""

    path: str
    module: str
    digest: str

    def directory(self, root: Path) -> Path:
        """The module's directory in the checkout at ``root``."""
        return root / self.path


def _checked_path(path: object, file: str, field: str) -> str:
    """The repository-relative directory of a ``local:`` entry, refused if it leaves the repo."""
    expected = f"a directory relative to the repository root, not {path!r}"
    if not isinstance(path, str) or not path:
        raise ConfigError(file, field, expected)
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise ConfigError(file, field, expected)
    return pure.as_posix()


def module_path(go_mod: Path) -> str:
    """The module path declared by a go.mod file."""
    try:
        text = go_mod.read_text()
    except OSError as exc:
        raise ConfigError(str(go_mod), "(file)", f"a readable go.mod ({exc})") from exc
    match = _MODULE_LINE.search(text)
    if match is None:
        raise ConfigError(str(go_mod), "module", "a 'module <path>' line")
    return match.group(1)


def build_inputs(directory: Path) -> list[Path]:
    """The files that shape the build: go.mod, go.sum and non-test Go sources."""
    sources = [
        p
        for p in directory.rglob("*.go")
        if not p.name.endswith("_test.go") and "testdata" not in p.relative_to(directory).parts
    ]
    listed = [directory / "go.mod", directory / "go.sum", *sources]
    return sorted((p for p in listed if p.is_file()), key=lambda p: p.relative_to(directory))


def digest(directory: Path) -> str:
    """SHA-256 over the build inputs' relative names and contents (never the checkout path)."""
    sha = hashlib.sha256()
    for path in build_inputs(directory):
        content = path.read_bytes()
        name = path.relative_to(directory).as_posix()
        sha.update(f"{name}\0{len(content)}\0".encode())
        sha.update(content)
    return sha.hexdigest()


def load(path: object, root: Path, file: str, field: str) -> LocalModule:
    """Read the local module named by a ``local:`` entry of the versions file."""
    relative = _checked_path(path, file, field)
    directory = root / relative
    if not (directory / "go.mod").is_file():
        raise ConfigError(
            file, field, f"a directory of the repository with a go.mod ({directory} has none)"
        )
    return LocalModule(
        path=relative,
        module=module_path(directory / "go.mod"),
        digest=digest(directory),
    )
