"""One node with real containers for all of this folder's tests, and the record of the host
before it started, so the last test can check the machine is as it was.

A missing binary or image fails the run; nothing here skips. On a failure, the tests print the
node's events, the pods' state and the component logs' tails (``node_harness.diagnose``).
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_harness import ARTIFACTS, PROBE_IMAGE, HostSnapshot, Run
from stack_harness import READY_TIMEOUT, SHOP, WORKLOAD_KINDS, Stack, admin_secret, diagnostics

from kansoku import images
from kansoku.bench import kube
from kansoku.bench.clusterfigures import apply_until_ready, rendering
from kansoku.cluster import hostchanges
from kansoku.cluster.realnode import RealNode, node_images
from kansoku.errors import StackError


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


@pytest.fixture(scope="session")
def stack(node: RealNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The dev overlay (less Grafana, never pulling: tests/cluster/components/real-node) on
    the node, every workload Ready, with the shop's load generator running; shared by every
    test_dev_overlay*.py file. A workload not Ready in time fails with the diagnostics."""
    objects = rendering(tmp_path_factory.mktemp("real-node-rendering"))
    workloads = [o for o in objects if o["kind"] in WORKLOAD_KINDS]
    names = sorted(
        {c["image"] for o in workloads for c in o["spec"]["template"]["spec"]["containers"]}
    )
    node.load_images([images.build(name) for name in names])
    # Before the stack: shop-backend reads its admin token (the fault endpoint) at start.
    kube.apply(node, [admin_secret(secrets.token_urlsafe(24))])
    try:
        seconds = apply_until_ready(node, objects, READY_TIMEOUT)
    except StackError as exc:
        raise AssertionError(f"{exc}\n{diagnostics(node)}") from exc
    print(f"\ndev overlay (real-node component) Ready {seconds:.1f}s after apply")
    yield Stack(node, objects, time.monotonic())
    node.kubectl("scale", "deployment/loadgen", "-n", SHOP, "--replicas=0", check=False)
    node.kubectl(
        "delete",
        "-f",
        "-",
        "--wait=false",
        "--ignore-not-found",
        stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": workloads}),
        check=False,
    )
