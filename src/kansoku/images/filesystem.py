"""The few files a static program's image needs besides the program: accounts and /tmp.

Images built ``FROM scratch`` or distroless carry an /etc/passwd so that a ``USER`` given
by name resolves and a program asking for its user's name gets one.
"""

from __future__ import annotations

from kansoku.images.layer import Entry, data_entry, dir_entry
from kansoku.images.sources import Files

# The uid (and gid) of kansoku's own unprivileged programs; deploy/docker's images use it too.
KANSOKU_UID = 10001
# Debian's default PATH, which the images without a shell of their own declare too.
DEFAULT_PATH = ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")

# (name, uid, gid, home)
Account = tuple[str, int, int, str]

ROOT: Account = ("root", 0, 0, "/root")
NOBODY: Account = ("nobody", 65534, 65534, "/home")  # busybox's nobody (Prometheus, Alertmanager)
NONROOT: Account = ("nonroot", 65532, 65532, "/home/nonroot")  # distroless's nonroot


def accounts(*users: Account) -> tuple[Entry, ...]:
    """/etc/passwd and /etc/group with root and ``users`` (each with a group of its own)."""
    every = (ROOT, *users)
    passwd = "".join(f"{n}:x:{u}:{g}:{n}:{h}:/sbin/nologin\n" for n, u, g, h in every)
    group = "".join(f"{n}:x:{g}:\n" for n, _, g, _ in every)
    return (data_entry("etc/passwd", passwd.encode()), data_entry("etc/group", group.encode()))


def static_base(*users: Account) -> Files:
    """Accounts and a world-writable sticky /tmp (read-only roots mount their own)."""
    label = "accounts: " + ", ".join(f"{n} ({u})" for n, u, _, _ in (ROOT, *users))
    return Files(label, (*accounts(*users), dir_entry("tmp", 0o1777)))
