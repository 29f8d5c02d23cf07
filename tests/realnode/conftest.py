"""One node with real containers for all of this folder's tests, and the record of the host
before it started, so the last test can check the machine is as it was.

A missing binary or image fails the run; nothing here skips. On a failure, the tests print the
node's events, the pods' state and the component logs' tails (``node_harness.diagnose``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_harness import ARTIFACTS, PROBE_IMAGE, HostSnapshot, Run

from kansoku.cluster import hostchanges
from kansoku.cluster.realnode import RealNode, node_images


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
