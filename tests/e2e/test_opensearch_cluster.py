"""Three OpenSearch nodes on loopback behind one Jaeger: one replica of every index, Jaeger
given every node's URL. The elected cluster manager is SIGKILLed under load: queries keep
answering, every span sent is stored, and the node rejoins until the cluster is green."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import pytest
from opensearch_support import cluster_specs, diagnostics, spans_on_the_way

from kansoku import conventions as cv
from kansoku.bench import stored
from kansoku.bench.harness import BenchStack
from kansoku.bench.otlpload import LoadConfig, LoadProcess
from kansoku.stack import components, local
from kansoku.stack.components.opensearch import Node
from kansoku.stack.ports import free_ports
from kansoku.stack.supervisor import Supervisor
from kansoku.tools import lookup
from kansoku.traces import store
from kansoku.verify.checks import jaeger_trace
from kansoku.verify.poll import PollTimeoutError, poll_until

pytestmark = [pytest.mark.e2e]
T = TypeVar("T")

NODES = 3
SPANS_PER_SECOND = 200
LOAD_SECONDS = 45.0
# Jaeger's span and service indices (jaeger_opensearch_env: a primary per node, one replica).
SHARDS = 2 * (NODES + 1)
# Queries of a stored trace made while the node is gone (one every 0.5 s, whatever each takes).
QUERIES_AFTER_KILL = 30
# The first queries after the kill may fail, and only they: Jaeger's client does not retry a
# request on another node, so the first one it sends to the killed node fails (HTTP 500,
# connection refused) and marks that node dead; and while the new cluster manager promotes
# the dead node's replicas, a query can come back without the whole trace (seen on the busy
# machine: the second query, with c1 killed at 00:39:54.4 and the last replica promoted at
# 00:39:57.4). Six queries are 3 s and more.
FAILOVER_QUERIES = 6
SETTLE_QUIET = 130.0  # as in test_faults.py: longer than gRPC's reconnect backoff


def _quiet(_line: str) -> None:
    return


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BenchStack, list[Node]]]:
    data_dir = tmp_path_factory.mktemp("opensearch-cluster")
    settings = components.StackSettings(
        data_dir=data_dir,
        ports=free_ports(),
        services=False,
        loadgen=False,
        jaeger_storage=cv.OPENSEARCH,
    )
    specs = local.prepare(settings, report=_quiet)
    specs, nodes = cluster_specs(settings, specs, lookup.resolve(cv.OPENSEARCH).path, NODES)
    state = local.new_state(settings)
    supervisor = Supervisor(specs, state, data_dir / "logs", report=_quiet)
    supervisor.start_all()
    try:
        yield BenchStack(settings, state, supervisor), nodes
    finally:
        if state.status not in ("stopped", "failed"):
            supervisor.stop_all()


def _url(node: Node) -> str:
    return f"http://127.0.0.1:{node.http_port}"


def _cluster_manager(node: Node) -> str:
    rows = httpx.get(
        f"{_url(node)}/_cat/cluster_manager", params={"format": "json"}, timeout=10
    ).json()
    return str(rows[0]["node"])


def _green(url: str, nodes: int) -> dict[str, object]:
    health = store.health(url)
    if health["status"] == "green" and health["number_of_nodes"] == nodes:
        return health
    raise RuntimeError(
        f"{health['status']}, {health['number_of_nodes']} nodes, {health['active_shards']} "
        f"shards active, {health['initializing_shards']} initializing, "
        f"{health['unassigned_shards']} unassigned"
    )


def _a_trace(stack: BenchStack, service: str) -> str:
    """A stored trace of ``service``; until there is one, where the spans are."""
    resp = httpx.get(
        f"{stack.url('jaeger-query')}/api/traces",
        params={"service": service, "limit": "1"},
        timeout=30,
    )
    data = resp.json().get("data") if resp.status_code == 200 else None
    if data:
        return str(data[0]["traceID"])
    raise RuntimeError(f"Jaeger answered {resp.status_code}; {spans_on_the_way(stack)}")


def _waited(
    stack: BenchStack, nodes: list[Node], check: Callable[[], T], what: str, timeout: float
) -> T:
    """``poll_until``; on a timeout, the cluster, the spans' counters and Jaeger's log."""
    try:
        return poll_until(check, what=what, timeout=timeout, interval=1.0)
    except PollTimeoutError as exc:
        raise AssertionError(f"{exc}\n{diagnostics(stack, nodes)}") from None


def _query(jaeger: str, trace_id: str) -> str:
    """One query of a stored trace (every 0.5 s): "full" (all 10 spans), or what came back."""
    try:
        trace = jaeger_trace(jaeger, trace_id)
    except httpx.HTTPError as exc:
        outcome = str(exc.response.status_code) if isinstance(exc, httpx.HTTPStatusError) else ""
        outcome = outcome or type(exc).__name__
    else:
        spans = len(trace["spans"]) if trace is not None else 0
        outcome = "full" if spans == 10 else f"{spans} of 10 spans"
    time.sleep(0.5)
    return outcome


def test_a_killed_node_loses_no_span_and_rejoins_green(
    cluster: tuple[BenchStack, list[Node]],
) -> None:
    stack, nodes = cluster
    run = f"kansoku-os3-{uuid.uuid4().hex[:8]}"
    load = LoadProcess(
        LoadConfig(
            endpoint=stack.otlp_http,
            service=run,
            duration=LOAD_SECONDS,
            spans_per_second=SPANS_PER_SECOND,
            points_per_second=0,
            spans_per_request=100,
            spans_per_trace=10,
            concurrency=1,
        )
    )
    try:
        _kill_and_rejoin(stack, nodes, load, run)
    finally:
        load.stop()  # reaped whatever happened: a failed wait leaves no process behind


def _kill_and_rejoin(stack: BenchStack, nodes: list[Node], load: LoadProcess, run: str) -> None:
    jaeger = stack.url("jaeger-query")
    # The load's daily indices exist and every replica is assigned: the kill hits a full cluster.
    trace_id = _waited(stack, nodes, lambda: _a_trace(stack, run), f"a trace of {run}", 180)
    _waited(stack, nodes, lambda: _green(_url(nodes[0]), NODES), "a green cluster", 180)
    manager = _cluster_manager(nodes[0])
    victim = f"{cv.OPENSEARCH}-{manager}"
    os.killpg(stack.pid(victim), signal.SIGKILL)
    stack.supervisor.processes[victim].wait(timeout=30)
    survivor = next(n for n in nodes if n.name != manager)
    answers = [_query(jaeger, trace_id) for _ in range(QUERIES_AFTER_KILL)]
    answered = answers.count("full")
    failed_first = next((i for i, a in enumerate(answers) if a == "full"), len(answers))
    new_manager = poll_until(
        lambda: _cluster_manager(survivor), what="a new cluster manager", timeout=60
    )
    result = load.result()
    assert result.spans.refused == result.spans.failed == 0
    stored.settle(
        lambda: store.service_spans(_url(survivor), run)[1],
        result.spans.sent,
        timeout=300,
        quiet=SETTLE_QUIET,
    )
    documents, distinct = store.service_spans(_url(survivor), run)
    started = time.monotonic()
    stack.supervisor.start_component(victim)  # ready once the cluster is green again
    health = _waited(stack, nodes, lambda: _green(_url(survivor), NODES), "green again", 120)
    print(
        f"three nodes, {manager} killed, {new_manager} elected: {result.spans.sent} spans sent, "
        f"{distinct} stored ({documents - distinct} written twice); {answered} of "
        f"{QUERIES_AFTER_KILL} queries answered in full (the others: "
        f"{[a for a in answers if a != 'full']}); green with 3 nodes "
        f"{time.monotonic() - started:.0f}s after the restart"
    )
    assert new_manager != manager
    # Only the first queries fail (see FAILOVER_QUERIES): once one is answered, every later one.
    assert failed_first <= FAILOVER_QUERIES, answers
    assert answered == QUERIES_AFTER_KILL - failed_first, answers
    assert distinct == result.spans.sent, f"{result.spans.sent - distinct} spans lost"
    assert health["unassigned_shards"] == 0
