"""One node with real containers for all of this folder's tests, and the record of the host
before it started, so the last test can check the machine is as it was.

A missing binary or image fails the run; nothing here skips. On a failure, the tests print the
node's events, the pods' state and the component logs' tails (``diagnose``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kansoku.cluster import hostchanges
from kansoku.cluster.realnode import RealNode, node_images
from kansoku.stack.supervisor import log_tail

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


@pytest.fixture(scope="session")
def realnode_run(node_tools: None) -> Iterator[Run]:
    before = HostSnapshot.take()
    # Not under pytest's basetemp: a later pytest session on the same machine removes all but
    # the newest three of those, even while this node still runs from one.
    directory = Path(tempfile.mkdtemp(prefix="kansoku-node-"))
    node = RealNode(directory)
    node.start(images=node_images([PROBE_IMAGE]))
    assert node.supervisor is not None
    # Start-up times, for docs/kubernetes.md (seconds from start() to each condition).
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "realnode-startup.json").write_text(json.dumps(node.timings, indent=2))
    run = Run(node, before, [p.pid for p in node.supervisor.processes.values()])
    try:
        yield run
    finally:
        node.stop()
        if not hostchanges.mounts_under(directory):
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def node(realnode_run: Run) -> RealNode:
    return realnode_run.node


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


def run_ok(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout
