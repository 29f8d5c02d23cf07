"""Every image kansoku builds, built for real and checked without a container runtime.

Each archive is unpacked layer by layer into a tree, and the tree is checked the way a
runtime would use it: the entrypoint resolves inside it, every declared binary is there and
executable, named users exist, and the programs start with the tree as their root
(``unshare --root``, we are root): the Go binaries print their version with only the
libraries the image carries, and the Python images import their service module with the
image's own python3, as uid 10001, on a read-only bind mount of the tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from kansoku import locations
from kansoku.images import Built, build_image, catalogue
from kansoku.images.image import Image
from kansoku.images.sources import GoProgram, ToolBinaries
from kansoku.tools import lookup

pytestmark = pytest.mark.e2e

IMAGES = catalogue.all_names()
# A command per binary that proves it starts and finds its libraries in the image.
VERSION_ARGS = {"jaeger": ["version"], "pause": ["-v"], "probe": ["resolve", "127.0.0.1"]}
PYTHON_MODULES = {
    "kansoku/shop-backend:dev": "kansoku.services.backend.__main__",
    "kansoku/shop-frontend:dev": "kansoku.services.frontend.__main__",
    "kansoku/loadgen:dev": "kansoku.services.loadgen.__main__",
}


class Builds:
    """Each image built once per run, on first use; its pinned binaries are built first
    when missing (a failure, never a skip, when they cannot be)."""

    def __init__(self, scratch: Path) -> None:
        self.done: dict[str, Built] = {}
        self.trees: dict[str, tuple[Path, dict[str, Any]]] = {}
        self.scratch = scratch

    def tree(self, name: str) -> tuple[Path, dict[str, Any]]:
        """The image unpacked (once per run) and its runtime config; tests only read it."""
        if name not in self.trees:
            root = self.scratch / name.replace("/", "_").replace(":", "_")
            self.trees[name] = (root, unpack(self[name].path, root))
        return self.trees[name]

    def __getitem__(self, name: str) -> Built:
        if name not in self.done:
            for layer in catalogue.find(name).layers:
                if isinstance(layer, ToolBinaries):
                    for binary, _ in layer.binaries:
                        lookup.resolve(binary, build=True)
            built = self.done[name] = build_image(name)
            state = "cached" if built.cached else "built"
            print(f"{built.name}: {built.size} bytes, {built.seconds:.1f} s ({state})")
        return self.done[name]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    return Builds(tmp_path_factory.mktemp("image-trees"))


def unpack(archive: Path, into: Path) -> dict[str, Any]:
    """Apply the layers in order; returns the runtime config."""
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))[0]  # type: ignore[arg-type]
        config = json.load(tar.extractfile(manifest["Config"]))  # type: ignore[arg-type]
        for layer in manifest["Layers"]:
            with tarfile.open(fileobj=tar.extractfile(layer)) as inner:
                # Layers this project wrote: modes and owners kept as declared.
                inner.extractall(into, filter="fully_trusted")  # noqa: S202
    return config["config"]  # type: ignore[no-any-return]


def inside(root: Path, path: str, hops: int = 0) -> Path:
    """``path`` of the image resolved inside ``root``, following the image's own symlinks."""
    assert hops < 20, f"symlink loop at {path}"
    current = root
    parts = Path(path).parts[1:]
    for index, part in enumerate(parts):
        step = current / part
        if step.is_symlink():
            target = os.readlink(step)
            base = "/" if target.startswith("/") else "/" + str(current.relative_to(root))
            rest = os.path.join(base, target, *parts[index + 1 :])
            return inside(root, os.path.normpath(rest), hops + 1)
        current = step
    return current


def entrypoint(root: Path, config: dict[str, Any]) -> Path:
    first = config["Entrypoint"][0]
    if first.startswith("/"):
        return inside(root, first)
    env = dict(e.split("=", 1) for e in config["Env"])
    for directory in env["PATH"].split(":"):
        candidate = inside(root, f"{directory}/{first}")
        if candidate.is_file():
            return candidate
    raise AssertionError(f"{first} is on no directory of PATH={env['PATH']} in the image")


def declared_binaries(image: Image) -> list[tuple[str, str]]:
    """``(name, path in the image)`` of every program a layer puts in."""
    out: list[tuple[str, str]] = []
    for layer in image.layers:
        if isinstance(layer, ToolBinaries):
            out.extend((binary, "/" + path) for binary, path in layer.binaries)
        if isinstance(layer, GoProgram):
            out.append((Path(layer.source).name, "/" + layer.path))
    return out


def run_in(root: Path, *command: str, uid: int = 0) -> subprocess.CompletedProcess[str]:
    """``command`` with ``root`` (bind-mounted read-only) as its root directory, as ``uid``."""
    script = (
        f'mount --bind "{root}" "{root}" && mount -o remount,bind,ro "{root}" && '
        f'exec unshare --root="{root}" --setuid {uid} --setgid {uid} "$@"'
    )
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )  # fmt: skip


@pytest.mark.parametrize("name", IMAGES)
def test_image_tree_runs_its_declared_programs(name: str, built: Builds, tmp_path: Path) -> None:
    image = catalogue.find(name)
    root, config = built.tree(name)
    program = entrypoint(root, config)
    assert program.is_file()
    assert os.access(program, os.X_OK)
    user = config.get("User", "0").split(":")[0]
    if not user.isdigit():
        names = [ln.split(":")[0] for ln in (root / "etc/passwd").read_text().splitlines()]
        assert user in names, f"USER {user} is not in the image's /etc/passwd"
    for binary, path in declared_binaries(image):
        found = inside(root, path)
        assert found.is_file(), f"{binary} is missing at {path}"
        assert os.access(found, os.X_OK)
        proc = run_in(root, path, *VERSION_ARGS.get(binary, ["--version"]), uid=65534)
        assert proc.returncode == 0, f"{path} did not start in the image:\n{proc.stderr}"


@pytest.mark.parametrize("name", PYTHON_MODULES)
def test_python_image_imports_its_service_read_only_as_10001(name: str, built: Builds) -> None:
    root, config = built.tree(name)
    module = PYTHON_MODULES[name]
    code = f"import sys, {module} as m; print(sys.version.split()[0], sys.prefix, m.__file__)"
    # -v: the interpreter says where each module's code comes from.
    proc = run_in(root, "/usr/bin/env", "-i", *config["Env"], *config["Entrypoint"][:1], "-v",
                  "-c", code, uid=10001)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    loaded = [ln for ln in proc.stderr.splitlines() if ln.startswith("# code object from")]
    # Every module, the standard library's included, comes from a .pyc compiled at build
    # time: nothing is compiled at start-up (nor could be written, on a read-only root).
    from_source = [ln for ln in loaded if not ln.endswith(".pyc'")]
    assert not from_source, from_source[:5]
    assert len(loaded) > 300
    version, prefix, path = proc.stdout.split()
    assert version.startswith("3.11.")
    assert prefix == "/opt/venv"
    assert path.startswith("/opt/venv/lib/python3.11/site-packages/kansoku/")
    assert "PYTHONDONTWRITEBYTECODE=1" in config["Env"]
    # The Debian base is trimmed: no package lists, logs, or the build host's resolver.
    assert not (root / "etc/resolv.conf").exists()
    assert not any((root / "var/lib/apt/lists").iterdir())
    assert not any((root / "var/log").iterdir())
    assert not (root / "debootstrap").exists()
    # Nothing names the checkout it was built from: two checkouts make the same layer.
    [dist_info] = (root / "opt/venv/lib/python3.11/site-packages").glob("kansoku-*.dist-info")
    checkout = str(locations.project_root())
    assert not any(checkout in f.read_text() for f in dist_info.iterdir())


def test_a_warm_build_writes_nothing(built: Builds) -> None:
    first = {name: built[name] for name in IMAGES}
    again = {name: build_image(name) for name in IMAGES}
    assert all(b.cached for b in again.values())
    assert {n: b.path for n, b in again.items()} == {n: b.path for n, b in first.items()}
