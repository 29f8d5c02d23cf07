"""Mounts left under a build directory, and taking them down before it is deleted.

debootstrap mounts /proc, /sys and, in a container, a bind of the host's /dev inside its
target; it unmounts them when it exits, but not when it is killed. Deleting a tree with the
host's /dev bound inside would delete the host's device nodes, so a build directory is only
removed once nothing is mounted under it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from kansoku.errors import ImageError


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \\ooo octal.
    return field.encode().decode("unicode_escape")


def mounts_under(directory: Path) -> list[Path]:
    """Mount points at or below ``directory``, deepest first."""
    prefix = str(directory.resolve())
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = _unescape(line.split()[4])
        if point == prefix or point.startswith(prefix + "/"):
            found.append(Path(point))
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def unmount_under(directory: Path) -> None:
    """Detach every mount below ``directory``; raises when one stays."""
    for point in mounts_under(directory):
        subprocess.run(["umount", "--lazy", str(point)], capture_output=True, check=False)
    left = mounts_under(directory)
    if left:
        raise ImageError(
            f"cannot unmount {', '.join(map(str, left))}; unmount them, then delete {directory}"
        )


def remove_tree(directory: Path) -> None:
    """Delete ``directory`` after unmounting what is mounted below it (never through a mount)."""
    if directory.exists():
        unmount_under(directory)
        shutil.rmtree(directory)
