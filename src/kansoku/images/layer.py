"""One image layer: a list of entries written as a deterministic tar.

Every header carries mtime 0, the entry's declared owner (root unless the declaration says
otherwise) and no user or group names; entries are sorted by path and missing parent
directories are added, so the same entries always give the same bytes and the same diff_id
(the sha256 of the uncompressed layer tar, as the image config's ``rootfs.diff_ids`` wants).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Literal

from kansoku.errors import ImageError

Kind = Literal["file", "dir", "symlink", "hardlink"]
# ``owner(path) -> (uid, gid)`` for a path inside the image; root when not given.
Owner = Callable[[str], tuple[int, int]]


@dataclass(frozen=True)
class Entry:
    """A path in the image (relative, no leading slash) and what it is."""

    path: str
    kind: Kind
    mode: int = 0o755
    uid: int = 0
    gid: int = 0
    source: Path | None = None  # a file's content, read when the layer is written
    data: bytes | None = None  # or the content itself
    target: str = ""  # a symlink's target, or a hard link's path inside the image


def _clean(path: str) -> str:
    clean = os.path.normpath(path.strip("/"))
    if clean in ("", ".") or clean.startswith(".."):
        raise ImageError(f"image path {path!r} is not inside the image")
    return clean


def file_entry(
    path: str, source: Path, mode: int | None = None, uid: int = 0, gid: int = 0
) -> Entry:
    """A regular file copied from ``source``; its mode is kept unless ``mode`` is given."""
    if not source.is_file():
        raise ImageError(f"{source} is missing: it is needed at /{path.strip('/')} in the image")
    keep = stat.S_IMODE(source.stat().st_mode)
    return Entry(_clean(path), "file", keep if mode is None else mode, uid, gid, source=source)


def data_entry(path: str, data: bytes, mode: int = 0o644, uid: int = 0, gid: int = 0) -> Entry:
    return Entry(_clean(path), "file", mode, uid, gid, data=data)


def dir_entry(path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> Entry:
    return Entry(_clean(path), "dir", mode, uid, gid)


def symlink_entry(path: str, target: str) -> Entry:
    return Entry(_clean(path), "symlink", 0o777, target=target)


def tree_entries(root: Path, prefix: str = "", owner: Owner | None = None) -> list[Entry]:
    """Every file, directory and symlink under ``root``, placed under ``prefix`` in the image.

    Files that share an inode become hard links to the first of them in path order.
    """
    entries: list[Entry] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            full = Path(dirpath) / name
            rel = os.path.join(prefix, os.path.relpath(full, root))
            entry = _entry_of(full, _clean(rel), owner)
            if entry is not None:
                entries.append(entry)
    return _hard_links(entries)


def _entry_of(full: Path, path: str, owner: Owner | None) -> Entry | None:
    info = full.lstat()
    uid, gid = owner(path) if owner else (0, 0)
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        return Entry(path, "symlink", 0o777, uid, gid, target=os.readlink(full))
    if stat.S_ISDIR(info.st_mode):
        return Entry(path, "dir", mode, uid, gid)
    if stat.S_ISREG(info.st_mode):
        return Entry(path, "file", mode, uid, gid, source=full)
    # Device nodes, fifos and sockets have no place in an image: the runtime makes /dev.
    return None


def _hard_links(entries: list[Entry]) -> list[Entry]:
    first: dict[tuple[int, int], str] = {}
    out: list[Entry] = []
    for entry in sorted(entries, key=lambda e: e.path):
        linked = entry
        if entry.kind == "file" and entry.source is not None:
            info = entry.source.lstat()
            if info.st_nlink > 1:
                key = (info.st_dev, info.st_ino)
                if key in first:
                    linked = replace(entry, kind="hardlink", source=None, target=first[key])
                else:
                    first[key] = entry.path
        out.append(linked)
    return out


def complete(entries: Iterable[Entry]) -> list[Entry]:
    """Sorted, with every missing parent directory added (0755, root); a path given twice
    is an error, since which one wins would depend on the order of declaration."""
    by_path: dict[str, Entry] = {}
    for entry in entries:
        if entry.path in by_path and by_path[entry.path] != entry:
            raise ImageError(f"/{entry.path} is declared twice in one layer")
        by_path[entry.path] = entry
    for path in list(by_path):
        parent = os.path.dirname(path)
        while parent and parent not in by_path:
            by_path[parent] = dir_entry(parent)
            parent = os.path.dirname(parent)
    return [by_path[p] for p in sorted(by_path)]


class _HashingWriter:
    """A write-only file that hashes what passes through it."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self._out.write(data)


def _header(entry: Entry) -> tarfile.TarInfo:
    info = tarfile.TarInfo(entry.path + ("/" if entry.kind == "dir" else ""))
    info.mode, info.uid, info.gid, info.mtime = entry.mode, entry.uid, entry.gid, 0
    info.uname = info.gname = ""
    info.type = {
        "file": tarfile.REGTYPE,
        "dir": tarfile.DIRTYPE,
        "symlink": tarfile.SYMTYPE,
        "hardlink": tarfile.LNKTYPE,
    }[entry.kind]
    info.linkname = entry.target
    return info


def write_layer(entries: Iterable[Entry], out: BinaryIO) -> str:
    """Write the layer tar to ``out``; returns its diff_id (``sha256:<hex>``)."""
    writer = _HashingWriter(out)
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for entry in complete(entries):
            info = _header(entry)
            if entry.kind != "file":
                tar.addfile(info)
                continue
            with _content(entry) as content:
                info.size = content.seek(0, io.SEEK_END)
                content.seek(0)
                tar.addfile(info, content)
    return f"sha256:{writer.sha.hexdigest()}"


def _content(entry: Entry) -> BinaryIO:
    if entry.data is not None:
        return io.BytesIO(entry.data)
    if entry.source is None:
        raise ImageError(f"/{entry.path} is a file without content")
    return entry.source.open("rb")
