"""The shared libraries a dynamically linked binary needs, copied from this machine.

``kansoku tools install`` builds with Go's default cgo setting, so the pinned binaries link
against glibc (the resolver and os/user use it). Their images carry what ``ldd`` lists (the
loader and libc, with the symlinks on the way, e.g. Debian's merged /lib -> usr/lib), as
distroless's ``base`` image carries glibc. A static binary needs none of this.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kansoku.errors import ImageError
from kansoku.images.fingerprint import Fingerprint
from kansoku.images.layer import Entry, data_entry, file_entry, symlink_entry
from kansoku.images.sources import Progress, resolve_binary

# glibc reads it for every lookup; "files dns" is what distroless and Debian default to.
NSSWITCH = b"passwd: files\ngroup: files\nhosts: files dns\n"


def needed(binary: Path) -> list[str]:
    """The absolute paths of the libraries and loader ``binary`` loads; [] when static."""
    proc = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        if "not a dynamic executable" in proc.stdout + proc.stderr:
            return []
        raise ImageError(f"ldd {binary} failed: {proc.stderr.strip()}")
    missing = [ln.split()[0] for ln in proc.stdout.splitlines() if "not found" in ln]
    if missing:
        raise ImageError(f"{binary} needs {', '.join(missing)}, which this machine lacks")
    return sorted(set(re.findall(r"(/\S+) \(0x", proc.stdout)))


def _host_entries(path: str, out: dict[str, Entry], depth: int = 0) -> None:
    """Entries for ``path`` as this machine has it: each symlink on the way, then the file."""
    if depth > 20:
        raise ImageError(f"too many symlinks resolving {path}")
    parts = Path(path).parts[1:]
    current = Path("/")
    for index, part in enumerate(parts):
        step = current / part
        if step.is_symlink():
            target = os.readlink(step)
            out[str(step)[1:]] = symlink_entry(str(step), target)
            rest = parts[index + 1 :]
            resolved = os.path.normpath(os.path.join(current, target, *rest))
            _host_entries(resolved, out, depth + 1)
            return
        current = step
    out[str(current)[1:]] = file_entry(str(current), current)


@dataclass(frozen=True)
class SharedLibraries:
    """The libraries the pinned ``binaries`` need, and /etc/nsswitch.conf."""

    binaries: tuple[str, ...]  # names in tools/versions.yaml

    @property
    def description(self) -> str:
        return f"the shared libraries of {', '.join(self.binaries)} (ldd), from this machine"

    def _entries(self) -> list[Entry]:
        found: dict[str, Entry] = {}
        for binary in self.binaries:
            for library in needed(resolve_binary(binary)):
                _host_entries(library, found)
        if found:
            found["etc/nsswitch.conf"] = data_entry("etc/nsswitch.conf", NSSWITCH)
        return [found[path] for path in sorted(found)]

    def fingerprint(self, fp: Fingerprint) -> None:
        for entry in self._entries():
            fp.add("entry", f"{entry.path}|{entry.kind}|{entry.mode:o}|{entry.target}")
            if entry.source is not None:
                fp.add_file(entry.path, entry.source)

    def entries(self, scratch: Path, progress: Progress) -> list[Entry]:
        return self._entries()
