"""What a real node changes outside its own folder, recorded before and undone after.

The kubelet and containerd write to a few fixed places of the host that cannot be moved:
kernel settings (the kubelet sets ``kernel.panic``, ``kernel.panic_on_oops`` and
``vm.overcommit_memory`` for the whole machine), ``/var/lib/kubelet``, ``/var/log/containers``,
``/run/containerd/s`` (the shims' sockets), ``/var/lib/cni`` and the ``kubepods`` cgroups.
``HostChanges.record`` notes what exists before the node starts; ``undo`` puts it back: the
saved kernel settings, and only the paths and cgroups that did not exist before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SYSCTLS = (
    "kernel/panic",
    "kernel/panic_on_oops",
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)
HOST_PATHS = (
    "/run/containerd",
    "/run/netns",
    "/var/lib/cni",
    "/var/lib/kubelet",
    "/var/log/containers",
    "/var/log/pods",
    "/var/run/nri",
    "/usr/libexec/kubernetes",
    "/etc/cni",
    "/opt/cni",
)
_SHARED_DIRS = ("/run/netns",)
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_NAMES = ("kubepods", "k8s.io")  # the kubelet's pods (cgroupfs) and containerd's own


@dataclass
class HostChanges:
    """What existed before the node started; saved in the node's state file."""

    sysctls: dict[str, str] = field(default_factory=dict)
    created_paths: list[str] = field(default_factory=list)
    created_cgroups: list[str] = field(default_factory=list)

    @classmethod
    def record(cls) -> HostChanges:
        proc = Path("/proc/sys")
        return cls(
            sysctls={k: (proc / k).read_text().strip() for k in SYSCTLS if (proc / k).exists()},
            created_paths=[p for p in HOST_PATHS if not os.path.lexists(p)],
            created_cgroups=[str(c) for c in cgroup_candidates() if not c.exists()],
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HostChanges:
        return cls(**data)

    def undo(self, directory: Path) -> list[str]:
        """Put the host back; returns what could not be undone (empty when all went well)."""
        problems = unmount_under(directory)
        problems += self._remove_cgroups()
        problems += self._restore_sysctls()
        _remove_log_links(directory)
        for path in self.created_paths:
            if path in _SHARED_DIRS:  # other runs' namespaces may be there: only when empty
                _remove_empty_mount_dir(path)
            elif os.path.lexists(path):
                shutil.rmtree(path, ignore_errors=True)
            if os.path.lexists(path) and path not in _SHARED_DIRS:
                problems.append(f"could not remove {path}")
        return problems

    def _restore_sysctls(self) -> list[str]:
        problems = []
        for key, value in self.sysctls.items():
            try:
                (Path("/proc/sys") / key).write_text(value)
            except OSError as exc:
                problems.append(f"could not restore {key.replace('/', '.')}={value}: {exc}")
        return problems

    def _remove_cgroups(self) -> list[str]:
        """The cgroups the run created: their processes killed, then removed deepest first."""
        problems = []
        for top in map(Path, self.created_cgroups):
            if not top.is_dir():
                continue
            dirs = sorted((d for d in top.rglob("*") if d.is_dir()), reverse=True)
            for directory in [*dirs, top]:
                _kill_members(directory)
                with contextlib.suppress(OSError):
                    directory.rmdir()
            if top.exists():
                problems.append(f"could not remove cgroup {top}")
        return problems


def _remove_empty_mount_dir(path: str) -> None:
    """``ip netns add`` bind-mounts /run/netns onto itself: unmount it once empty, remove it."""
    if not os.path.isdir(path) or os.listdir(path):
        return
    # (os.path.ismount cannot see a bind mount of a folder onto itself: same device.)
    if path in {p.split()[4] for p in Path("/proc/self/mountinfo").read_text().splitlines()}:
        subprocess.run(["umount", path], capture_output=True, check=False)
    with contextlib.suppress(OSError):
        os.rmdir(path)


def cgroup_candidates() -> list[Path]:
    """``kubepods`` and ``k8s.io`` in every cgroup v1 hierarchy (or the v2 root)."""
    if not CGROUP_ROOT.is_dir():
        return []
    roots = [CGROUP_ROOT] if (CGROUP_ROOT / "cgroup.controllers").exists() else []
    roots += [d for d in CGROUP_ROOT.iterdir() if d.is_dir() and not d.is_symlink()]
    return [root / name for root in roots for name in CGROUP_NAMES]


def _kill_members(cgroup: Path) -> None:
    procs = cgroup / "cgroup.procs"
    with contextlib.suppress(OSError):
        for pid in procs.read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def mounts_under(directory: Path) -> list[str]:
    """Mount points at or below ``directory`` (from /proc/self/mountinfo), deepest first."""
    prefix = str(directory.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return sorted(points, reverse=True)


def unmount_under(directory: Path) -> list[str]:
    """Lazily unmount everything under ``directory`` (volumes, rootfs, pods' netns)."""
    for _ in range(3):  # a mount may hide another mounted on the same point
        for point in mounts_under(directory):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    left = mounts_under(directory)
    return [f"still mounted: {point}" for point in left]


def _remove_log_links(directory: Path) -> None:
    """The kubelet's links in /var/log/containers that point into the run's folder."""
    logs = Path("/var/log/containers")
    if not logs.is_dir():
        return
    prefix = str(directory.resolve())
    for link in logs.iterdir():
        if link.is_symlink() and os.readlink(link).startswith(prefix):
            link.unlink()


def shims_of(socket: Path) -> list[int]:
    """PIDs of containerd shims whose command line names ``socket`` (ours, no one else's)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and b"containerd-shim" in argv[0] and str(socket).encode() in argv:
            pids.append(int(entry.name))
    return pids
