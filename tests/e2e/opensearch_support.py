"""Helpers of the OpenSearch e2e tests: spans at a chosen time, a loopback cluster of nodes."""

from __future__ import annotations

import dataclasses
import re
import secrets
import socket
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from kansoku import conventions as cv
from kansoku.bench.harness import BenchStack
from kansoku.bench.measure import MetricsText
from kansoku.stack import components
from kansoku.stack.components import jaeger, opensearch, traces_retention
from kansoku.stack.components.opensearch import Node

# The collector's exporter to Jaeger (config/collector/collector.yaml).
JAEGER_EXPORTER = "otlp_grpc/jaeger"
_RESOURCE = re.compile(r'\{"resource": \{[^}]*\}, ')


def send_span(otlp_http: str, service: str, start_ns: int) -> str:
    """One span of ``service`` starting at ``start_ns`` (OTLP/JSON); its trace id."""
    trace_id = secrets.token_hex(16)
    span = {
        "traceId": trace_id,
        "spanId": secrets.token_hex(8),
        "name": "GET /retention",
        "kind": 2,
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + 5_000_000),
    }
    body = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": service}}]
                },
                "scopeSpans": [{"scope": {"name": "kansoku-e2e"}, "spans": [span]}],
            }
        ]
    }
    resp = httpx.post(f"{otlp_http}/v1/traces", json=body, timeout=30.0)
    resp.raise_for_status()
    return trace_id


def days_ago_ns(days: float) -> int:
    return int((time.time() - days * 86_400) * 1e9)


def index_day(days: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - days * 86_400))


def free_port_pairs(count: int, host: str = "127.0.0.1") -> list[tuple[int, int]]:
    """``count`` (http, transport) port pairs, all free and distinct."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(2 * count)]
        for sock in socks:
            sock.bind((host, 0))
        ports = [int(s.getsockname()[1]) for s in socks]
    return [(ports[2 * i], ports[2 * i + 1]) for i in range(count)]


def cluster_specs(
    settings: components.StackSettings,
    specs: list[components.ComponentSpec],
    binary: Path,
    size: int,
) -> tuple[list[components.ComponentSpec], list[Node]]:
    """The stack's specs with its one node replaced by a cluster of ``size`` nodes on loopback,
    Jaeger given every node's URL, one replica of every index and a primary per node."""
    pairs = free_port_pairs(size)
    members = tuple((f"c{i + 1}", transport) for i, (_, transport) in enumerate(pairs))
    nodes = [
        Node(name, http, transport, members)
        for (name, transport), (http, _) in zip(members, pairs, strict=True)
    ]
    node_specs = [opensearch.node_spec(settings, binary, n) for n in nodes]
    urls = [f"http://127.0.0.1:{n.http_port}" for n in nodes]
    env = jaeger.opensearch_env(urls, replicas=1, span_shards=size)
    rest = [
        dataclasses.replace(s, env={**s.env, **env}) if s.name == cv.JAEGER else s
        for s in specs
        if s.name not in (cv.OPENSEARCH, traces_retention.NAME)
    ]
    return node_specs + rest, nodes


def cluster_report(url: str) -> str:
    """The cluster's health, blocks and indices as the node at ``url`` sees them."""
    try:
        health = httpx.get(f"{url}/_cluster/health", timeout=10.0).json()
        blocks = httpx.get(f"{url}/_cluster/state/blocks", timeout=10.0).json().get("blocks")
        indices = httpx.get(
            f"{url}/_cat/indices", params={"h": "health,index,pri,rep,docs.count"}, timeout=10.0
        ).text
    except (httpx.HTTPError, ValueError) as exc:
        return f"{url} did not answer: {exc}"
    shown = ("status", "number_of_nodes", "active_shards", "unassigned_shards")
    return (
        f"{url}: {', '.join(f'{k} {health.get(k)}' for k in shown)}; blocks {blocks}\n"
        f"{indices.rstrip()}"
    )


def spans_on_the_way(stack: BenchStack) -> str:
    """Where the spans are: the collector's exporter to Jaeger (sent, failed, queued) and
    Jaeger's own (spans it took, spans its storage exporter handed to the store)."""
    try:
        collector = stack.collector_metrics()
        jaeger_text = stack.jaeger_metrics()
    except httpx.HTTPError as exc:
        return f"metrics did not answer: {exc}"

    def of(text: MetricsText, name: str, **labels: str) -> int:
        return int(text.total(name, **labels) + text.total(name + "_total", **labels))

    def exporter(name: str) -> int:
        return of(collector, f"otelcol_exporter_{name}", exporter=JAEGER_EXPORTER)

    taken = of(jaeger_text, "otelcol_receiver_accepted_spans")
    stored = of(jaeger_text, "otelcol_exporter_sent_spans", exporter="jaeger_storage_exporter")
    return (
        f"collector -> Jaeger: {exporter('sent_spans')} spans sent, "
        f"{exporter('send_failed_spans')} failed, {exporter('queue_size')} batches queued; "
        f"Jaeger: {taken} spans taken, {stored} handed to its bulk processor"
    )


def diagnostics(stack: BenchStack, nodes: list[Node]) -> str:
    """What a reader of a failed wait needs: every node's view of the cluster, the spans'
    counters on their way, and the tail of Jaeger's log (its bulk errors)."""
    views = [cluster_report(f"http://127.0.0.1:{n.http_port}") for n in nodes]
    text = (stack.supervisor.log_dir / f"{cv.JAEGER}.log").read_text(errors="replace")
    # Its entries, not the stack traces Jaeger prints under an error, nor the resource every
    # entry repeats; of the entries from one place in its code (the test's own queries fail
    # once a second) the last only; one line each, cut.
    last: dict[str, str] = {}
    for line in text.splitlines():
        if line[:2] == "20":
            where = " ".join(line.split("\t")[1:3])
            last.pop(where, None)
            last[where] = _RESOURCE.sub("{", line)[:600]
    entries = list(last.values())[-12:]
    return "\n".join([*views, spans_on_the_way(stack), "Jaeger's log:", *entries])
