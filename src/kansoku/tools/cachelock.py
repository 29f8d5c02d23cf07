"""One build per cache entry at a time, across processes.

Two installs at once (two terminals, two checkouts) share the cache; the lock keeps them from
building into the same scratch directory. Whoever waited re-checks the entry afterwards: the
other install may have built it meanwhile.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def entry_lock(entry: Path, label: str, progress: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock of cache entry ``entry``; says so (with ``label``) when it must wait."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    with (entry.parent / f".{entry.name}.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"[{label}] another install is building it; waiting")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
