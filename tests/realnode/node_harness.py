"""What the real node's tests share: the host's state before the node, the run, diagnostics.

(A module of its own name: every test folder's ``conftest`` is imported as ``conftest``.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kansoku.bench.podload import RESTRICTED
from kansoku.cluster import hostchanges
from kansoku.cluster.realnode import RealNode
from kansoku.stack.supervisor import log_tail

# RESTRICTED: the securityContext of a container the restricted Pod Security profile admits.
__all__ = [
    "ARTIFACTS",
    "PROBE_IMAGE",
    "RESTRICTED",
    "HostSnapshot",
    "Run",
    "diagnose",
    "mounted_under",
    "processes_naming",
]

PROBE_IMAGE = "localhost/probe:dev"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class HostSnapshot:
    """What the node must leave as it found it."""

    sysctls: dict[str, str]
    paths: dict[str, bool]
    cgroups: dict[str, bool]
    netns: set[str]

    @classmethod
    def take(cls) -> HostSnapshot:
        changes = hostchanges.HostChanges.record()
        netns = set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()
        return cls(
            sysctls=changes.sysctls,
            paths={p: os.path.lexists(p) for p in hostchanges.HOST_PATHS},
            cgroups={str(c): c.exists() for c in hostchanges.cgroup_candidates()},
            netns=netns,
        )


@dataclass
class Run:
    node: RealNode
    before: HostSnapshot
    pids: list[int]


def diagnose(node: RealNode, namespace: str) -> str:
    """Events, pods and the component logs' tails: printed when a check fails."""
    parts = []
    for args in (
        ("get", "events", "-n", namespace, "--sort-by=.lastTimestamp"),
        ("get", "pods", "-n", namespace, "-o", "wide"),
        ("describe", "pods", "-n", namespace),
    ):
        proc = node.kubectl(*args, check=False)
        parts.append(f"$ kubectl {' '.join(args)}\n{proc.stdout}{proc.stderr}")
    for name, log in node.component_logs().items():
        if name in ("kubelet", "containerd", "kube-router", "coredns"):
            parts.append(f"--- {name} ({log}):\n{log_tail(Path(log), 15)}")
    return "\n".join(parts)


def mounted_under(directory: Path) -> list[str]:
    return hostchanges.mounts_under(directory)


def processes_naming(text: str) -> list[int]:
    """PIDs whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
