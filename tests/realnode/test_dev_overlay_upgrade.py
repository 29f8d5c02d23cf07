"""Upgrade on real pods: the manifests of an earlier revision (``kansoku.cluster.history``: the
previous tag, else the merge-base with main, else the state before the newest change to
deploy/kubernetes), then the current ones, each applied as the stack fixture applies and the
objects it no longer has pruned (as tests/cluster/test_cluster_upgrade.py does on the
simulated cluster), while the shop's load generator keeps buying.

Both renderings are made the same way: the tree's dev overlay plus this checkout's test-only
component (``clusterfigures.rendering``), with the images already imported. Claims: every
rollout completes, no request of the shop fails (the load generator's own counts and the
shop's metrics in the in-cluster Prometheus), and the current rendering is what is left.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from stack_harness import DATA_TIMEOUT, SHOP, STACK, WORKLOAD_KINDS, Stack, diagnostics

from kansoku import conventions as cv
from kansoku.bench import kube
from kansoku.bench.clusterfigures import apply_until_ready, rendering
from kansoku.cluster import history, manifests
from kansoku.cluster.manifests import Rendering, key, ours
from kansoku.cluster.operations import applied_by_us, live_objects, prune
from kansoku.errors import StackError
from kansoku.verify.checks import prometheus_query
from kansoku.verify.poll import poll_until

pytestmark = [pytest.mark.realnode, pytest.mark.timeout(900)]

ROLLOUT_TIMEOUT = 600.0  # collector pods drain 80 s before they stop; several roll in turn
LOADGEN = "app.kubernetes.io/name=loadgen"
# The load generator's summary line, every 30 s and when it stops (cumulative counts).
SUMMARY = re.compile(r"(\d+) requests, (\d+) failed")
SUMMARY_EVERY = 30.0


class LoadgenCounts:
    """The shop load generator's own counts, per pod, followed every few seconds while the
    upgrade runs: a pod the rollout replaces keeps the last counts it printed."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.latest: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()  # read() runs in the test and in the follower thread
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def read(self) -> dict[str, tuple[int, int]]:
        proc = self.stack.node.kubectl(
            "logs", "-n", SHOP, "-l", LOADGEN, "--prefix", "--tail=20", check=False
        )
        with self._lock:
            for line in proc.stdout.splitlines():
                match = SUMMARY.search(line)
                if match and line.startswith("[pod/"):
                    pod = line[len("[pod/") :].split("/", 1)[0]
                    self.latest[pod] = (int(match.group(1)), int(match.group(2)))
            return dict(self.latest)

    def _follow(self) -> None:
        while not self._stop.wait(5.0):
            self.read()

    def __enter__(self) -> LoadgenCounts:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _metric(otel_name: str) -> str:
    return cv.METRICS_BY_OTEL_NAME[otel_name].prometheus_name


def _shop_queries(seconds: float) -> dict[str, str]:
    """The shop's requests and failures over the last ``seconds``, from its own metrics."""
    window = f"[{int(seconds)}s]"
    server = f'{_metric("http.server.requests")}{{{cv.LABEL_SERVICE}="{cv.SHOP_BACKEND}"'
    client = f'{_metric("http.client.requests")}{{{cv.LABEL_SERVICE}="{cv.SHOP_FRONTEND}"'
    return {
        "shop-backend requests": f"sum(increase({server}}}{window})) or vector(0)",
        "shop-backend 5xx": (
            f'sum(increase({server}, {cv.LABEL_STATUS}=~"5.."}}{window})) or vector(0)'
        ),
        "shop-frontend calls to the backend": f"sum(increase({client}}}{window})) or vector(0)",
        "shop-frontend calls answered 5xx": (
            f'sum(increase({client}, {cv.LABEL_STATUS}=~"5.."}}{window})) or vector(0)'
        ),
        "shop-frontend calls without an answer": (
            f'sum(increase({client}, {cv.LABEL_ERROR_TYPE}!=""}}{window})) or vector(0)'
        ),
    }


def _value(url: str, query: str) -> float:
    result = prometheus_query(url, query)
    return float(result[0]["value"][1]) if result else 0.0


@dataclass
class Upgrade:
    revision: str
    old: Rendering
    new: Rendering
    changed: list[str]  # workloads whose pod template the upgrade changes
    rollouts: dict[str, float] = field(default_factory=dict)  # phase -> seconds to Ready
    pruned: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    loadgen: tuple[int, int] = (0, 0)  # requests, failed during the upgrade
    shop: dict[str, float] = field(default_factory=dict)


def _templates(rendering: Rendering) -> dict[str, str]:
    return {
        f"{o['kind']}/{o['metadata']['name']}": json.dumps(o["spec"]["template"], sort_keys=True)
        for o in rendering.workloads()
    }


def _apply(stack: Stack, rendering: Rendering, kinds: set[str]) -> tuple[float, list[Any]]:
    try:
        seconds = apply_until_ready(stack.node, rendering.objects, ROLLOUT_TIMEOUT)
    except StackError as exc:
        raise AssertionError(f"{rendering.name}: {exc}\n{diagnostics(stack.node)}") from exc
    return seconds, prune(stack.node, rendering, kinds)


def _images(objects: list[dict[str, Any]]) -> set[str]:
    return {
        c["image"]
        for o in objects
        if o["kind"] in WORKLOAD_KINDS
        for c in o["spec"]["template"]["spec"]["containers"]
    }


@pytest.fixture(scope="module")
def upgraded(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Upgrade:
    commit, how = history.previous_revision()
    # The earlier revision's own real-node component where it has one: this checkout's may
    # patch what the earlier manifests do not have yet.
    own = history.has_path(commit, manifests.REAL_NODE_COMPONENT)
    earlier = tmp_path_factory.mktemp("earlier")
    extra = (manifests.REAL_NODE_COMPONENT,) if own else ()
    tree = history.export(commit, earlier, extra)
    if not (tree / "overlays" / "dev").is_dir():
        pytest.fail(f"{commit[:12]} ({how}) has no dev overlay; upgrade from a later one")
    scratch: Path = tmp_path_factory.mktemp("earlier-rendering")
    objects = rendering(scratch, tree, earlier if own else None)
    old = Rendering("dev+real-node (earlier)", "", objects)
    new = Rendering("dev+real-node", "", stack.objects)
    missing = _images(old.objects) - _images(new.objects)
    assert not missing, f"the earlier manifests run images not imported here: {missing}"
    before, after = _templates(old), _templates(new)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    upgrade = Upgrade(f"{commit[:12]} ({how})", old, new, changed)
    kinds = {o["kind"] for o in (*old.objects, *new.objects)}
    url = stack.url(STACK, "prometheus", 9090)

    with LoadgenCounts(stack) as counts:
        # A summary printed before the start: the counts the upgrade's are taken from.
        start = poll_until(
            lambda: counts.read() or None, what="the load generator's summary line", timeout=90
        )
        started, wall_start = time.monotonic(), time.time()
        seconds, upgrade.pruned["earlier"] = _apply(stack, old, kinds)
        upgrade.rollouts["earlier manifests over the current"] = seconds
        seconds, upgrade.pruned["current"] = _apply(stack, new, kinds)
        upgrade.rollouts["current manifests over the earlier"] = seconds
        ended, wall_end = time.monotonic(), time.time()
        # Counts printed after the end by every load generator pod running now.
        running = {
            p["metadata"]["name"]
            for p in stack.pods(SHOP, LOADGEN)
            if p["status"].get("phase") == "Running" and "deletionTimestamp" not in p["metadata"]
        }
        at_end = counts.read()
        poll_until(
            lambda: (
                all(counts.read().get(p, (0, 0))[0] > at_end.get(p, (0, 0))[0] for p in running)
                or None
            ),
            what="a summary line after the upgrade from every load generator pod",
            timeout=SUMMARY_EVERY * 2 + 30,
        )
        final = counts.read()
    upgrade.loadgen = (
        sum(final[p][0] - start.get(p, (0, 0))[0] for p in final),
        sum(final[p][1] - start.get(p, (0, 0))[1] for p in final),
    )

    # The shop's metrics, once Prometheus holds samples newer than the upgrade's end of every
    # live series (one export's series can reach Prometheus in two write requests: one
    # series' sample of an export can be in while another's is not).
    backend = f'{_metric("http.server.requests")}{{{cv.LABEL_SERVICE}="{cv.SHOP_BACKEND}"}}'
    fresh = f"min(timestamp({backend}) > time() - 60)"
    poll_until(
        lambda: _value(url, fresh) > wall_end or None,
        what="shop metrics newer than the upgrade's end in Prometheus",
        timeout=DATA_TIMEOUT,
    )
    window = time.time() - wall_start
    upgrade.shop = {name: _value(url, q) for name, q in _shop_queries(window).items()}
    print(
        f"\nupgrade from {upgrade.revision}, {ended - started:.0f} s in all: "
        f"{len(changed)} workloads' pod templates change {changed}"
    )
    for phase, secs in upgrade.rollouts.items():
        print(f"  {phase}: every workload Ready {secs:.0f} s after apply")
    for phase, gone in upgrade.pruned.items():
        print(f"  pruned after the {phase} manifests: {gone}")
    print(f"  load generator: {upgrade.loadgen[0]} requests, {upgrade.loadgen[1]} failed")
    for name, value in upgrade.shop.items():
        print(f"  {name} (Prometheus, {window:.0f} s): {value:.0f}")
    return upgrade


def test_every_rollout_completes(stack: Stack, upgraded: Upgrade) -> None:
    assert len(upgraded.rollouts) == 2
    assert kube.waiting_workloads(stack.node, stack.objects) == []


def test_no_shop_request_fails_during_the_upgrade(upgraded: Upgrade) -> None:
    requests, failed = upgraded.loadgen
    assert requests > 0, "the load generator made no request during the upgrade"
    assert failed == 0, upgraded.loadgen
    assert upgraded.shop["shop-backend requests"] > 0
    assert upgraded.shop["shop-backend 5xx"] == 0, upgraded.shop
    assert upgraded.shop["shop-frontend calls answered 5xx"] == 0, upgraded.shop
    assert upgraded.shop["shop-frontend calls without an answer"] == 0, upgraded.shop


def test_the_current_rendering_is_what_is_left(stack: Stack, upgraded: Upgrade) -> None:
    kinds = {o["kind"] for o in (*upgraded.old.objects, *upgraded.new.objects)}
    live = {key(o) for o in live_objects(stack.node, kinds) if applied_by_us(o)}
    assert live == {key(o) for o in upgraded.new.objects if ours(o)}
    earlier = {key(o) for o in upgraded.old.objects if ours(o)}
    current = {key(o) for o in upgraded.new.objects if ours(o)}
    assert set(upgraded.pruned["current"]) == earlier - current
