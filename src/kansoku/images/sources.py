"""Where a layer's files come from: our Go programs, pinned upstream binaries, fixed files.

Each source adds its inputs to a ``Fingerprint`` (the layer's cache key) cheaply, and makes
its entries only when the layer is not cached yet.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kansoku import locations
from kansoku.errors import ConfigError, ImageError, ToolError
from kansoku.images.fingerprint import Fingerprint, file_digest
from kansoku.images.layer import Entry, file_entry

Progress = Callable[[str], None]


class LayerSource(Protocol):
    """One layer of an image: its inputs (for the cache key) and its entries."""

    @property
    def description(self) -> str:
        """One line for the image history, e.g. ``go build images/pause``."""
        ...

    def fingerprint(self, fp: Fingerprint) -> None:
        """Add every input that shapes the layer's bytes to ``fp``."""
        ...

    def entries(self, scratch: Path, progress: Progress) -> list[Entry]:
        """The layer's entries; ``scratch`` is an empty directory to build in."""
        ...


# Static (no cgo, no libc), reproducible (no paths, no build id), smaller (no symbols).
_GO_FLAGS = ("-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=")


def _go_version() -> str:
    try:
        return subprocess.run(
            ["go", "env", "GOVERSION"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ToolError(f"go is needed to build the images' Go programs: {exc}") from exc


@dataclass(frozen=True)
class GoProgram:
    """A Go program of this repository (its own module, no dependencies), built static."""

    source: str  # the module's directory in the repository, e.g. ``images/pause``
    path: str  # where the binary goes in the image

    @property
    def description(self) -> str:
        return f"CGO_ENABLED=0 go build {' '.join(_GO_FLAGS)} ./{self.source} -> /{self.path}"

    def _dir(self) -> Path:
        return locations.project_root() / self.source

    def fingerprint(self, fp: Fingerprint) -> None:
        fp.add("go", _go_version())
        fp.add("flags", " ".join(_GO_FLAGS))
        fp.add_tree(self.source, self._dir())

    def entries(self, scratch: Path, progress: Progress) -> list[Entry]:
        out = scratch / Path(self.path).name
        progress(f"[images] go build {self.source}")
        env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": ""}
        proc = subprocess.run(
            ["nice", "-n", "10", "go", "build", *_GO_FLAGS, "-o", str(out), "."],
            cwd=self._dir(),
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise ImageError(f"go build in {self.source} failed:\n{proc.stderr.strip()}")
        return [file_entry(self.path, out, 0o755)]


def resolve_binary(binary: str) -> Path:
    """The pinned binary in the tool cache (or where KANSOKU_<NAME>_BIN says); never builds."""
    from kansoku.tools import lookup

    try:
        return lookup.resolve(binary).path
    except ConfigError as exc:
        raise ToolError(
            f"{binary} is not pinned in {exc.file}, so its image cannot be built"
        ) from exc


@dataclass(frozen=True)
class ToolBinaries:
    """Pinned upstream binaries from the tool cache (``kansoku tools install`` builds them)."""

    binaries: tuple[tuple[str, str], ...]  # (binary in tools/versions.yaml, path in the image)

    @property
    def description(self) -> str:
        return "pinned binaries: " + ", ".join(f"{b} -> /{p}" for b, p in self.binaries)

    def fingerprint(self, fp: Fingerprint) -> None:
        for binary, path in self.binaries:
            fp.add_file(f"{binary}:{path}", resolve_binary(binary))

    def entries(self, scratch: Path, progress: Progress) -> list[Entry]:
        return [file_entry(path, resolve_binary(binary), 0o755) for binary, path in self.binaries]


@dataclass(frozen=True)
class Files:
    """Fixed entries: accounts, directories with their owners, small files."""

    label: str
    items: tuple[Entry, ...]

    @property
    def description(self) -> str:
        return self.label

    def fingerprint(self, fp: Fingerprint) -> None:
        for e in self.items:
            fp.add("entry", f"{e.path}|{e.kind}|{e.mode:o}|{e.uid}|{e.gid}|{e.target}")
            if e.data is not None:
                fp.add("data", e.data)
            elif e.source is not None:
                fp.add("source", file_digest(e.source, {}))

    def entries(self, scratch: Path, progress: Progress) -> list[Entry]:
        return list(self.items)
