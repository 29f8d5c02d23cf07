"""Content digests of the inputs of a layer, so a warm build hashes nothing large twice.

A layer's cache key is the sha256 of its inputs' contents. Hashing the big binaries (a few
hundred MB together) on every run would cost seconds, so each file's digest is remembered
next to the image cache, keyed by path, size, mtime and inode: a file that changed in any
of those is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

_MEMO_NAME = "file-digests.json"
_MEMO_MIN_SIZE = 1 << 20  # smaller files are hashed every time: cheaper than a memo entry


class Fingerprint:
    """Accumulates named inputs into one short hex key."""

    def __init__(self, memo_dir: Path) -> None:
        self._sha = hashlib.sha256()
        self._memo_file = memo_dir / _MEMO_NAME
        self._memo: dict[str, str] | None = None
        self._dirty = False

    def add(self, label: str, value: str | bytes) -> None:
        data = value.encode() if isinstance(value, str) else value
        self._sha.update(f"{label}\0{len(data)}\0".encode())
        self._sha.update(data)

    def add_file(self, label: str, path: Path) -> None:
        self.add(label, f"{file_digest(path, self._memos())}:{os.stat(path).st_mode & 0o7777:o}")

    def add_tree(self, label: str, root: Path, skip: Iterable[str] = ()) -> None:
        """Every file under ``root`` by relative path, content and mode; names in ``skip``
        (directory or file names, e.g. ``__pycache__``) are left out."""
        skipped = set(skip)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in skipped)
            for name in sorted(f for f in filenames if f not in skipped):
                full = Path(dirpath) / name
                rel = os.path.relpath(full, root)
                if full.is_symlink():
                    self.add(f"{label}/{rel}", f"-> {os.readlink(full)}")
                else:
                    self.add_file(f"{label}/{rel}", full)

    def hexdigest(self) -> str:
        self._save()
        return self._sha.hexdigest()[:20]

    def _memos(self) -> dict[str, str]:
        if self._memo is None:
            try:
                self._memo = json.loads(self._memo_file.read_text())
            except (OSError, ValueError):
                self._memo = {}
        self._dirty = True
        return self._memo

    def _save(self) -> None:
        if not self._dirty or self._memo is None:
            return
        self._memo_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._memo_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self._memo, sort_keys=True))
        tmp.replace(self._memo_file)  # a concurrent writer may win; a lost memo is only rehashed
        self._dirty = False


def file_digest(path: Path, memo: dict[str, str]) -> str:
    """The sha256 of ``path``'s content, from ``memo`` when the file's stat is unchanged."""
    info = os.stat(path)
    if info.st_size < _MEMO_MIN_SIZE:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    stamp = f"{os.path.abspath(path)}|{info.st_size}|{info.st_mtime_ns}|{info.st_ino}"
    known = memo.get(stamp)
    if known:
        return known
    sha = hashlib.sha256()
    with open(path, "rb") as content:
        while chunk := content.read(1 << 20):
            sha.update(chunk)
    memo[stamp] = sha.hexdigest()
    return memo[stamp]
