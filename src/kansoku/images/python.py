"""The Python images' two layers: a Debian base with python3, and the locked wheels with the
project on top.

The base is ``debootstrap --variant=minbase`` of Debian bookworm plus ``python3`` (3.11, the
version the project runs on), trimmed of apt's lists, logs and docs, with the standard
library compiled to unchecked-hash ``.pyc`` files: the layer's mtimes are 0, so a
timestamp-checked cache would look stale and be compiled again at every start (and never
written, on a read-only root). Its cache key is the recipe, not the packages' content, which
debootstrap fetches; the built layer is kept until the recipe changes.

The second layer is a virtual environment at /opt/venv whose interpreter is the base's
/usr/bin/python3: the wheels come from ``uv.lock`` (``uv export --frozen --no-dev``), the
project is installed from this checkout, and both are compiled to unchecked-hash ``.pyc``
files by the Python 3.11 running kansoku (one bytecode format for every 3.11 release, the
base's 3.11.2 included; the image tests check that nothing is compiled at start-up).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from kansoku import locations
from kansoku.errors import ImageError, ToolError
from kansoku.images.filesystem import KANSOKU_UID
from kansoku.images.fingerprint import Fingerprint
from kansoku.images.layer import Entry, data_entry, symlink_entry, tree_entries
from kansoku.images.mounts import unmount_under
from kansoku.images.sources import Progress

PYTHON = "3.11"  # bookworm's python3; the host interpreter that installs must match it
SITE = f"opt/venv/lib/python{PYTHON}/site-packages"
# The venv's interpreter is the base's python3 (no copy, no host path).
_PYVENV_CFG = f"home = /usr/bin\ninclude-system-site-packages = false\nversion = {PYTHON}\n"
# What a running container never needs: package indexes and caches, logs with build dates,
# documentation (each package's copyright file stays), the host's resolver and name.
_PRUNE = (
    "var/cache/apt",
    "var/lib/apt/lists",
    "var/cache/debconf/templates.dat-old",
    "var/log",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "etc/resolv.conf",
    "etc/hostname",
)


def _run(args: list[str], what: str, **kwargs: object) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise ImageError(f"{what} failed ({' '.join(args[:4])} ...):\n{tail}")


def _compile(root: Path, directory: str, python: list[str]) -> None:
    """Compile ``directory`` (a path inside the image) to unchecked-hash pycs."""
    _run(
        [*python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         "-s", str(root), "-p", "/", str(root / directory)],
        f"compiling /{directory}",
    )  # fmt: skip


@dataclass(frozen=True)
class DebianPython:
    """Debian ``suite`` (minbase) with ``packages``, plus the accounts in ``users``."""

    suite: str = "bookworm"
    packages: tuple[str, ...] = ("python3",)
    mirror: str = "http://deb.debian.org/debian"
    users: tuple[tuple[str, int], ...] = (("kansoku", KANSOKU_UID),)

    @property
    def description(self) -> str:
        return (
            f"debootstrap --variant=minbase --include={','.join(self.packages)} {self.suite}; "
            f"trimmed; stdlib compiled; users {', '.join(f'{n} ({u})' for n, u in self.users)}"
        )

    def fingerprint(self, fp: Fingerprint) -> None:
        fp.add("recipe", repr(self))
        fp.add("prune", repr(_PRUNE))
        fp.add("python", PYTHON)

    def entries(self, scratch: Path, progress: Progress) -> list[Entry]:
        if shutil.which("debootstrap") is None:
            raise ToolError(
                "debootstrap is missing; the Python images' base needs it: "
                "run scripts/install-debootstrap.sh (as root)"
            )
        root = scratch / "root"
        progress(f"[images] debootstrap {self.suite} with {', '.join(self.packages)}")
        try:
            _run(
                ["nice", "-n", "10", "debootstrap", "--variant=minbase",
                 f"--include={','.join(self.packages)}", self.suite, str(root), self.mirror],
                "debootstrap",
            )  # fmt: skip
        finally:
            unmount_under(root)  # /proc, /sys, /dev: none belongs in the layer
        self._trim(root)
        stdlib = f"usr/lib/python{PYTHON}"
        for cache in (root / stdlib).rglob("__pycache__"):
            shutil.rmtree(cache)
        # The image's own interpreter compiles its standard library, inside the tree.
        _compile_inside(root, stdlib)
        self._add_users(root)
        return tree_entries(root)

    def _trim(self, root: Path) -> None:
        for rel in _PRUNE:
            path = root / rel
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
                path.mkdir()
            elif path.exists() or path.is_symlink():
                path.unlink()
        shutil.rmtree(root / "debootstrap", ignore_errors=True)
        for doc in (root / "usr/share/doc").glob("*/*"):
            if doc.name != "copyright" and (doc.is_file() or doc.is_symlink()):
                doc.unlink()
            elif doc.is_dir() and not doc.is_symlink():
                shutil.rmtree(doc)

    def _add_users(self, root: Path) -> None:
        with (root / "etc/passwd").open("a") as passwd, (root / "etc/group").open("a") as group:
            for name, uid in self.users:
                passwd.write(f"{name}:x:{uid}:{uid}::/nonexistent:/usr/sbin/nologin\n")
                group.write(f"{name}:x:{uid}:\n")


def _compile_inside(root: Path, directory: str) -> None:
    """Run the tree's own python3 with the tree as its root (``unshare --root``; root only)."""
    _run(
        ["unshare", f"--root={root}", "/usr/bin/python3", "-m", "compileall", "-q", "-j", "0",
         "--invalidation-mode", "unchecked-hash", f"/{directory}"],
        f"compiling /{directory} with the image's python3",
    )  # fmt: skip


@dataclass(frozen=True)
class LockedWheels:
    """/opt/venv: the wheels ``uv.lock`` pins (no dev group) and the project itself."""

    extras: tuple[str, ...] = ("postgres",)
    # The wheels' platform: bookworm's glibc 2.36 on x86-64.
    platform: str = "x86_64-manylinux_2_36"

    @property
    def description(self) -> str:
        extras = " ".join(f"--extra {e}" for e in self.extras)
        return (
            f"uv export --frozen --no-dev {extras} | uv pip install --target /{SITE}; "
            "the project; compiled"
        )

    def fingerprint(self, fp: Fingerprint) -> None:
        root = locations.project_root()
        fp.add("recipe", repr(self))
        for name in ("uv.lock", "pyproject.toml", "README.md"):
            fp.add_file(name, root / name)
        fp.add_tree("src", root / "src", skip=("__pycache__",))

    def entries(self, scratch: Path, progress: Progress) -> list[Entry]:
        if sys.version_info[:2] != tuple(int(p) for p in PYTHON.split(".")):
            raise ImageError(f"the Python images are built by Python {PYTHON}, not {sys.version}")
        root, site = scratch / "root", scratch / "root" / SITE
        requirements = scratch / "requirements.txt"
        project = locations.project_root()
        uv = shutil.which("uv") or "uv"
        extras = [arg for e in self.extras for arg in ("--extra", e)]
        progress("[images] installing the locked wheels and the project into /opt/venv")
        _run(
            [uv, "export", "--frozen", "--no-dev", *extras, "--no-emit-project",
             "--format", "requirements-txt", "--output-file", str(requirements)],
            "uv export", cwd=project,
        )  # fmt: skip
        common = ["--target", str(site), "--python", sys.executable, "--no-config",
                  "--python-platform", self.platform, "--python-version", PYTHON,
                  "--link-mode", "copy", "--no-compile-bytecode"]  # fmt: skip
        env = {**os.environ, "UV_NO_PROGRESS": "1"}
        wheels = [
            "--require-hashes",
            "--no-deps",
            "--only-binary",
            ":all:",
            "-r",
            str(requirements),
        ]
        _run([uv, "pip", "install", *common, *wheels], "installing the locked wheels", env=env)
        _run([uv, "pip", "install", *common, "--no-deps", str(project)],
             "installing the project", env=env)  # fmt: skip
        shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: shebangs of this host
        _forget_checkout(site)
        _compile(root, SITE, [sys.executable])
        return [
            *tree_entries(root),
            data_entry("opt/venv/pyvenv.cfg", _PYVENV_CFG.encode()),
            symlink_entry("opt/venv/bin/python", "/usr/bin/python3"),
            symlink_entry("opt/venv/bin/python3", "python"),
        ]


def _forget_checkout(site: Path) -> None:
    """Drop the project's ``direct_url.json`` (and its RECORD line): it names the checkout's
    path, which would make the layer differ between two checkouts of the same sources."""
    for direct in site.glob("kansoku-*.dist-info/direct_url.json"):
        record = direct.with_name("RECORD")
        lines = record.read_text().splitlines(keepends=True)
        record.write_text(
            "".join(
                ln for ln in lines if not ln.startswith(f"{direct.parent.name}/direct_url.json,")
            )
        )
        direct.unlink()
