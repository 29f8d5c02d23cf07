"""Helpers of the OpenSearch e2e tests: spans at a chosen time, a loopback cluster of nodes."""

from __future__ import annotations

import dataclasses
import secrets
import socket
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from kansoku import conventions as cv
from kansoku.stack import components
from kansoku.stack.components import jaeger, opensearch, traces_retention
from kansoku.stack.components.opensearch import Node


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
