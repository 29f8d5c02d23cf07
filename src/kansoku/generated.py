"""Files generated from code and committed: write what changed, report what drifted.

Shared by the dashboards (``kansoku dashboards``) and the SLO outputs (``kansoku slo``); paths
are relative to the checkout.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath

Files = Mapping[PurePosixPath, str]


def drift(files: Files, root: Path) -> list[str]:
    """One line per generated file that is missing on disk or differs from the code."""
    problems = []
    for path, text in sorted(files.items()):
        target = root / path
        if not target.is_file():
            problems.append(f"missing: {path}")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"stale: {path}")
    return problems


def write(files: Files, root: Path) -> list[PurePosixPath]:
    """Write the files whose content changed (creating directories); returns their paths."""
    changed = []
    for path, text in sorted(files.items()):
        target = root / path
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        changed.append(path)
    return changed
