"""What a machine needs before a real node may start; checked before anything is changed.

Each probe is a function, so a test can pass its own and see the refusal without a machine
that lacks them. ``check`` raises one ``NodePreflightError`` naming everything missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kansoku.errors import NodePreflightError

CAP_NET_ADMIN = 12
CAP_SYS_ADMIN = 21
PACKAGES_SCRIPT = "scripts/install-node-packages.sh"
BRIDGE_NETFILTER = "/proc/sys/net/bridge/bridge-nf-call-iptables"
PROGRAMS = ("nsenter", "ip", "iptables", "ipset", "conntrack", "mount", "umount")


def effective_capabilities() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


def _filesystems() -> str:
    return Path("/proc/filesystems").read_text()


def _kernel_module(name: str) -> bool:
    """Loaded, built in, or loadable for the running kernel."""
    if Path("/sys/module", name).exists():
        return True
    release = os.uname().release
    builtin = Path("/lib/modules", release, "modules.builtin")
    if builtin.is_file() and f"/{name}.ko" in builtin.read_text():
        return True
    return any(Path("/lib/modules", release).rglob(f"{name}.ko*"))


@dataclass(frozen=True)
class Probes:
    """How each requirement is looked at (the real machine by default)."""

    euid: Callable[[], int] = os.geteuid
    capabilities: Callable[[], int] = effective_capabilities
    filesystems: Callable[[], str] = _filesystems
    kernel_module: Callable[[str], bool] = _kernel_module
    which: Callable[[str], str | None] = shutil.which
    exists: Callable[[str], bool] = os.path.exists


def missing(probes: Probes | None = None) -> list[str]:
    """Every requirement the machine lacks, each named with what to do about it."""
    probe = probes or Probes()
    lacks = []
    if probe.euid() != 0:
        lacks.append("root (the node mounts, makes cgroups and a network namespace)")
    caps = probe.capabilities()
    for bit, name in ((CAP_SYS_ADMIN, "CAP_SYS_ADMIN"), (CAP_NET_ADMIN, "CAP_NET_ADMIN")):
        if not caps & (1 << bit):
            lacks.append(f"the {name} capability")
    if "overlay" not in probe.filesystems() and not probe.kernel_module("overlay"):
        lacks.append("overlayfs support in the kernel (containerd's snapshotter)")
    if not probe.kernel_module("bridge"):
        lacks.append("bridge support in the kernel (the pods' CNI bridge)")
    elif not probe.exists(BRIDGE_NETFILTER) and not probe.kernel_module("br_netfilter"):
        lacks.append("br_netfilter (iptables must see bridged packets: Services, policies)")
    absent = [p for p in PROGRAMS if probe.which(p) is None]
    for path in ("/usr/sbin/runc", "/usr/lib/cni/bridge", "/usr/lib/cni/host-local"):
        if not probe.exists(path):
            absent.append(path)
    if absent:
        lacks.append(f"{', '.join(absent)} (install them with {PACKAGES_SCRIPT})")
    return lacks


def check(probes: Probes | None = None) -> None:
    """Refuse, naming everything missing, before anything on the machine is changed."""
    lacks = missing(probes)
    if lacks:
        raise NodePreflightError(lacks)
