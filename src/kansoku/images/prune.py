"""Keeping the image cache from growing without bound.

Every change to the sources makes a new wheels layer and three new Python archives (about
a gigabyte), so each image keeps its ``KEEP`` newest archives when a new one is written: this
checkout's, its previous one and another checkout's (checkouts share the cache). ``kansoku images
prune`` removes every archive that is not current for this checkout and every layer that
neither a remaining archive holds nor today's declarations would use.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

KEEP = 3


def _archives_of(directory: Path, slug: str) -> list[Path]:
    pattern = re.compile(rf"{re.escape(slug)}-[0-9a-f]{{20}}\.tar")
    found = [p for p in directory.glob(f"{slug}-*.tar") if pattern.fullmatch(p.name)]
    return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def keep_newest(directory: Path, slug: str, keep: int = KEEP) -> list[Path]:
    """Delete the archives of image ``slug`` beyond the ``keep`` newest; returns them."""
    old = _archives_of(directory, slug)[keep:]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def layers_of(archive: Path) -> set[str]:
    """The diff_ids (``sha256:<hex>``) of the layers ``archive`` holds."""
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            return set()
        return {"sha256:" + name.split("/")[0] for m in json.load(member) for name in m["Layers"]}


def _remove(path: Path) -> int:
    size = path.stat().st_size if path.exists() else 0
    path.unlink(missing_ok=True)
    return size


def prune(directory: Path, current: list[Path], keys: set[str]) -> tuple[list[Path], int]:
    """Remove the archives of ``directory`` other than ``current``, and the layers that none
    of them holds and whose input key is not in ``keys`` (the layers today's declarations
    would use: an unbuilt image keeps its slow Debian base); returns what was removed and
    the bytes freed."""
    keep = {p.resolve() for p in current}
    removed = [p for p in sorted(directory.glob("*.tar")) if p.resolve() not in keep]
    freed = sum(_remove(path) for path in removed)
    held: set[str] = set()
    for archive in keep:
        held |= layers_of(archive)
    for diff_file in sorted((directory / "layers").glob("*.diffid")):
        if diff_file.stem not in keys and diff_file.read_text().strip() not in held:
            tar = diff_file.with_suffix(".tar")
            diff_file.unlink()
            freed += _remove(tar)
            removed.append(tar)
    return removed, freed
