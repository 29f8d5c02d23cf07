"""Write generated files, and find the ones on disk that are stale (the drift check)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from kansoku import conventions as cv
from kansoku import generated
from kansoku.slo.pipeline import DASHBOARD, RULES_DIR, TESTS_DIR

Files = dict[PurePosixPath, str]


def owned(root: Path) -> set[PurePosixPath]:
    """Generated files already on disk: ``slo-*`` rules and tests, and the dashboard."""
    found = {
        PurePosixPath(d) / p.name
        for d in (RULES_DIR, TESTS_DIR)
        for p in (root / d).glob(f"{cv.SLO_RULE_FILE_PREFIX}*.yaml")
    }
    if (root / DASHBOARD).is_file():
        found.add(DASHBOARD)
    return found


def drift(files: Files, root: Path) -> list[str]:
    """One line per generated file that is missing, different or no longer generated."""
    problems = generated.drift(files, root)
    problems += [f"not generated any more: {path}" for path in sorted(owned(root) - set(files))]
    return problems


def write(files: Files, root: Path) -> list[PurePosixPath]:
    """Write what changed, delete generated files no spec produces; returns what changed."""
    changed = generated.write(files, root)
    for path in sorted(owned(root) - set(files)):
        (root / path).unlink()
        changed.append(path)
    return changed
