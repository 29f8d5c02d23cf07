"""The manifests as they were at an earlier revision, for the upgrade test.

The earlier revision is the previous release tag when there is one; otherwise the merge-base
with ``main`` (on a branch); on ``main`` itself, the state just before the newest change to
``deploy/kubernetes``, so that the upgrade really changes something.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from kansoku import locations
from kansoku.errors import StackError

MANIFEST_PATHS = ("deploy/kubernetes", "config")


def _git(*args: str) -> str | None:
    proc = subprocess.run(
        ["git", "-C", str(locations.project_root()), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def previous_revision() -> tuple[str, str]:
    """``(commit, how it was chosen)`` of the manifests to upgrade from."""
    if _git("rev-parse", "--is-shallow-repository") == "true":
        raise StackError("the checkout is shallow; the upgrade test needs the history")
    tag = _git("describe", "--tags", "--abbrev=0", "HEAD~1")
    if tag:
        return _commit(tag), f"previous tag {tag}"
    head = _commit("HEAD")
    base = _git("merge-base", "HEAD", "main")
    if base and base != head:
        return base, "merge-base with main"
    changed = _git("log", "-1", "--format=%H", "HEAD", "--", MANIFEST_PATHS[0])
    if changed is None:
        raise StackError(f"no commit changes {MANIFEST_PATHS[0]}")
    parent = _git("rev-parse", "--verify", "--quiet", f"{changed}^")
    if parent is None:
        raise StackError(f"the first change to {MANIFEST_PATHS[0]} has no parent to upgrade from")
    return parent, f"before the newest change to {MANIFEST_PATHS[0]} ({changed[:12]})"


def _commit(rev: str) -> str:
    commit = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if commit is None:
        raise StackError(f"git cannot resolve {rev}")
    return commit


def has_path(commit: str, path: Path | str) -> bool:
    """Whether ``path`` (relative to the checkout) exists at ``commit``."""
    return _git("cat-file", "-t", f"{commit}:{path}") is not None


def export(commit: str, into: Path, extra: tuple[Path | str, ...] = ()) -> Path:
    """Write the manifests and config files of ``commit`` under ``into`` (with ``extra``
    paths of the checkout, each of which must exist at ``commit``); returns its
    ``deploy/kubernetes``."""
    proc = subprocess.run(
        [
            "git",
            "-C",
            str(locations.project_root()),
            "archive",
            "--format=tar",
            commit,
            *MANIFEST_PATHS,
            *map(str, extra),
        ],
        capture_output=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        raise StackError(f"git archive {commit} failed: {proc.stderr.decode(errors='replace')}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into / MANIFEST_PATHS[0]
