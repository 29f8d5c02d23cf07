"""The dev overlay on the real node, with the shop's load: every workload Ready under enforced
restricted Pod Security and the quotas, no restart two minutes on, the shop's telemetry in
Jaeger, VictoriaLogs and Prometheus with the Kubernetes attributes of the real pods, the node
agent's kubelet metrics of every pod and of the node in Prometheus (the Overview's kubeletstats
panels), and the NetworkPolicy matrix (kansoku.cluster.networkpolicy) enforced by kube-router's
firewall.

Applied with the test-only component tests/cluster/components/real-node: no Grafana (AGPL, no
image), the node agent without its cluster layer (our distribution lacks k8s_cluster and
k8s_leader_elector), never pulling. The harness
reaches the stores only through loopback forwarders. The stack is this folder's
``stack`` fixture (stack_harness.py), shared with the other test_dev_overlay_*.py files,
which run after this one and before test_real_node.py, whose last test stops the node.
"""

from __future__ import annotations

import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from node_harness import PROBE_IMAGE, RESTRICTED, diagnose
from stack_harness import DATA_TIMEOUT, SHOP, STACK, WORKLOAD_KINDS, Stack, diagnostics

from kansoku import conventions as cv
from kansoku import locations
from kansoku.cluster import networkpolicy
from kansoku.cluster.operations import quantity
from kansoku.dashboards import queries
from kansoku.verify import logsql
from kansoku.verify.checks import Targets, jaeger_trace, prometheus_query, run_all
from kansoku.verify.poll import poll_until

# The first test carries the stack's start (the ``stack`` fixture of conftest: images
# imported, every workload Ready): longer than the suite's 900 s default on a busy machine.
pytestmark = [pytest.mark.realnode, pytest.mark.timeout(1800)]

QUIET_SECONDS = 120.0  # after Ready, no container may have restarted
K8S_ATTRIBUTES = ("k8s.pod.name", "k8s.namespace.name", "k8s.deployment.name")
# The agent's own config only: the real-node component drops its cluster layer.
AGENT_ARGS = ["--config=/etc/otelcol/otel-agent.yaml"]
MIB = 1024 * 1024


def test_every_workload_is_ready_under_restricted_pod_security_and_the_quotas(
    stack: Stack,
) -> None:
    for ns in (STACK, SHOP):
        labels = stack.node.get_json("namespace", ns)["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted", ns
        for quota in stack.node.get_json("resourcequota", "-n", ns)["items"]:
            used, hard = quota["status"]["used"], quota["status"]["hard"]
            assert set(used) == set(hard), (ns, quota["metadata"]["name"])
            over = [k for k in hard if quantity(used[k]) > quantity(hard[k])]
            assert not over, (ns, quota["metadata"]["name"], over)
    collector = stack.node.get_json("deployment", "-n", STACK, "otel-collector")
    assert collector["status"]["readyReplicas"] == 2, "the HPA's minimum"
    names = {
        (o["kind"], o["metadata"]["name"]) for o in stack.objects if o["kind"] in WORKLOAD_KINDS
    }
    assert {("Deployment", n) for n in ("prometheus", "jaeger", "shop-frontend")} <= names
    assert {("StatefulSet", "victorialogs"), ("StatefulSet", "alertmanager")} <= names
    assert ("DaemonSet", "otel-agent") in names
    agent = stack.node.get_json("daemonset", "-n", STACK, "otel-agent")
    assert agent["spec"]["template"]["spec"]["containers"][0]["args"] == AGENT_ARGS
    status = agent["status"]
    assert status["desiredNumberScheduled"] == status["numberReady"] == 1, status


@dataclass(frozen=True)
class Checkout:
    trace_id: str
    order_id: str


@pytest.fixture(scope="module")
def checkout(stack: Stack) -> Checkout:
    """One purchase through shop-frontend's Service, under a trace id picked here."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    with httpx.Client(
        base_url=stack.url(SHOP, "shop-frontend", 8080), timeout=30, follow_redirects=True
    ) as client:
        added = client.post("/cart/items", data={"product_id": "2", "quantity": "1"})
        assert added.status_code == 200, added.text
        response = client.post(
            "/checkout",
            data={"email": "real-node@example.com"},
            headers={"traceparent": f"00-{trace_id}-{span_id}-01"},
        )
    assert response.status_code == 201, response.text
    order_id = response.text.split('data-order-id="', 1)[1].split('"', 1)[0]
    return Checkout(trace_id, order_id)


def _tags(trace: dict[str, Any], service: str) -> dict[str, str]:
    for process in trace["processes"].values():
        if process["serviceName"] == service:
            return {t["key"]: str(t["value"]) for t in process.get("tags", [])}
    return {}


def test_a_checkout_trace_spans_both_services_with_the_pods_kubernetes_attributes(
    stack: Stack, checkout: Checkout
) -> None:
    jaeger = stack.url(STACK, "jaeger", 16686)
    wanted = {cv.SHOP_FRONTEND, cv.SHOP_BACKEND}

    def complete() -> dict[str, Any] | None:
        trace = jaeger_trace(jaeger, checkout.trace_id)
        if not trace:
            return None
        services = {p["serviceName"] for p in trace["processes"].values()}
        return trace if wanted <= services else None

    trace = poll_until(complete, what=f"trace {checkout.trace_id} in Jaeger", timeout=DATA_TIMEOUT)
    pods = {p["metadata"]["name"]: p for p in stack.node.get_json("pods", "-n", SHOP)["items"]}
    for service in sorted(wanted):
        tags = _tags(trace, service)
        missing = [a for a in K8S_ATTRIBUTES if a not in tags]
        assert not missing, (service, missing, tags)
        assert tags["k8s.namespace.name"] == SHOP
        assert tags["k8s.deployment.name"] == service
        pod = pods[tags["k8s.pod.name"]]  # a real pod of the shop
        assert pod["metadata"]["labels"][cv.PART_OF_LABEL] == "kansoku-shop"


def test_the_checkout_log_is_in_victorialogs_by_its_trace_id(
    stack: Stack, checkout: Checkout
) -> None:
    url = stack.url(STACK, "victorialogs", 9428)
    records = poll_until(
        lambda: logsql.query(url, logsql.by_trace_id(checkout.trace_id), limit=50) or None,
        what=f"a log record of trace {checkout.trace_id} in VictoriaLogs",
        timeout=DATA_TIMEOUT,
    )
    [placed] = [r for r in records if "order placed" in r[cv.LOG_FIELD_MESSAGE]]
    assert placed["shop.order_id"] == checkout.order_id
    assert placed["k8s.namespace.name"] == SHOP


@pytest.mark.parametrize("metric", cv.METRICS, ids=lambda m: m.otel_name)
def test_the_shop_metrics_are_in_prometheus(stack: Stack, metric: cv.Metric) -> None:
    name = metric.prometheus_name + ("_count" if metric.instrument == "histogram" else "")
    query = f'{name}{{{cv.LABEL_SERVICE}="{metric.service}"}}'
    url = stack.url(STACK, "prometheus", 9090)
    found = poll_until(
        lambda: prometheus_query(url, query) or None, what=query, timeout=DATA_TIMEOUT
    )
    assert found


def test_kansoku_verify_passes_against_the_in_cluster_endpoints(stack: Stack) -> None:
    otlp = stack.url(STACK, "otel-collector", 4317).removeprefix("http://")
    targets = Targets(
        prometheus_url=stack.url(STACK, "prometheus", 9090),
        jaeger_url=stack.url(STACK, "jaeger", 16686),
        otlp_endpoint=otlp,
        collector_health_url=stack.url(STACK, "otel-collector", 13133) + "/",
        victorialogs_url=stack.url(STACK, "victorialogs", 9428),
    )
    results = run_all(targets, timeout=DATA_TIMEOUT)
    failed = [f"{r.name}: {r.detail}" for r in results if not r.ok]
    assert not failed, failed


def test_prometheus_discovers_and_scrapes_the_annotated_pods(stack: Stack) -> None:
    annotated = {
        p["metadata"]["name"]
        for p in stack.node.get_json("pods", "-n", STACK)["items"]
        if p["metadata"].get("annotations", {}).get("prometheus.io/scrape") == "true"
    }
    assert len(annotated) >= 4, "two collectors, Jaeger and VictoriaLogs"
    url = stack.url(STACK, "prometheus", 9090)

    def all_up() -> dict[str, str] | None:
        result = prometheus_query(url, 'up{namespace="observability", pod!=""}')
        seen = {r["metric"]["pod"]: r["value"][1] for r in result}
        return seen if annotated <= set(seen) and all(seen[p] == "1" for p in annotated) else None

    seen = poll_until(all_up, what=f"up == 1 for {sorted(annotated)}", timeout=DATA_TIMEOUT)
    print(f"\nPrometheus's Kubernetes SD targets: {seen}")


def _stack_pods(stack: Stack) -> dict[tuple[str, str], int]:
    """``(namespace, pod) -> memory limit in bytes`` of every running pod the stack's
    workloads own (not the probe and load pods of the tests)."""
    pods = {}
    for ns in (STACK, SHOP):
        for pod in stack.node.get_json("pods", "-n", ns)["items"]:
            if pod["status"].get("phase") != "Running" or not pod["metadata"].get(
                "ownerReferences"
            ):
                continue
            limit = sum(
                quantity(c["resources"]["limits"]["memory"]) for c in pod["spec"]["containers"]
            )
            pods[(ns, pod["metadata"]["name"])] = int(limit)
    return pods


def _kubeletstats_panels() -> list[queries.PromTarget]:
    """The Overview's panels that read what the agent's kubeletstats writes (as they say)."""
    board = json.loads(
        (locations.config_dir() / "grafana" / "dashboards" / "overview.json").read_text()
    )
    titles = {
        p["title"]
        for row in board["panels"]
        for p in (row, *row.get("panels", []))
        if "(kubeletstats)" in p.get("description", "")
    }
    return [t for t in queries.prometheus_targets(board) if t.panel in titles]


def test_the_agents_kubelet_metrics_of_every_pod_and_the_node_are_in_prometheus(
    stack: Stack,
) -> None:
    """kubeletstats reads the node's kubelet (webhook authentication and authorization, the
    agent's ServiceAccount, the node's address through the NetworkPolicy's egress) and writes
    to Prometheus: every pod of the stack and the node have a working set, no pod's above its
    limit, and each Overview panel built on them answers for every pod and the node."""
    url = stack.url(STACK, "prometheus", 9090)
    pods = _stack_pods(stack)
    node = cv.REAL_NODE_NAME
    namespaces = f"{STACK}|{SHOP}"
    panels = _kubeletstats_panels()
    assert len(panels) == 4, [p.panel for p in panels]  # pod and node, CPU and memory

    def answered() -> dict[str, list[dict[str, Any]]] | None:
        answers = {}
        for target in panels:
            result = prometheus_query(
                url, queries.expand(target.expr, {cv.VARIABLE_NAMESPACE: namespaces})
            )
            labels = {
                (
                    r["metric"].get("k8s_namespace_name"),
                    r["metric"].get("k8s_pod_name"),
                    r["metric"].get("k8s_node_name"),
                )
                for r in result
            }
            per_pod = "k8s_pod_name" in target.expr
            wanted = {(ns, name, None) for ns, name in pods} if per_pod else {(None, None, node)}
            if not wanted <= labels:
                raise AssertionError(f"{target.panel}: missing {sorted(map(str, wanted - labels))}")
            answers[target.panel] = result
        return answers

    answers = poll_until(
        answered,
        what="the Overview's kubeletstats panels for every pod and the node",
        timeout=DATA_TIMEOUT,
    )
    memory = {
        (r["metric"]["k8s_namespace_name"], r["metric"]["k8s_pod_name"]): float(r["value"][1])
        for r in answers["Pod memory (working set)"]
    }
    print("\nWorking set per pod (kubeletstats) against its memory limit:")
    for (ns, name), limit in sorted(pods.items()):
        used = memory[(ns, name)]
        print(f"  {ns}/{name:45} {used / MIB:7.1f} MiB of {limit / MIB:6.0f} MiB")
        assert 1 * MIB < used <= limit, (ns, name, used, limit)
    [node_memory] = answers["Node memory (working set)"]
    [node_cpu] = answers["Node CPU (cores)"]
    print(
        f"node {node}: working set {float(node_memory['value'][1]) / MIB:.0f} MiB, "
        f"CPU {float(node_cpu['value'][1]):.2f} cores"
    )
    assert float(node_memory["value"][1]) > sum(memory.values()) / 2
    assert float(node_cpu["value"][1]) > 0


def _probe_pod(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    container = {
        "name": "probe",
        "image": PROBE_IMAGE,
        "imagePullPolicy": "Never",
        "args": ["sleep"],
        "securityContext": RESTRICTED,
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
    }
    # No containerPort: no Service whose targetPort is named routes to it; no
    # pod-template-hash: no ReplicaSet adopts it.
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [container], "restartPolicy": "Never"},
    }


def _seen_allowed(output: str) -> bool:
    """A connection made (any HTTP answer, or a non-HTTP server closing it) versus one the
    firewall dropped or refused."""
    blocked = ("timeout", "deadline exceeded", "connection refused", "no route to host")
    return not any(b in output.lower() for b in blocked)


@pytest.fixture(scope="module")
def probes(stack: Stack) -> Any:
    """A probe pod standing in for each source of the matrix, with its namespace and labels."""
    sources = sorted({p.source for p in networkpolicy.MATRIX})
    where = {s: networkpolicy.source_pod(s, stack.objects) for s in sources}
    extra = {namespace for namespace, _ in where.values()} - {STACK, SHOP}
    namespaces = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": networkpolicy.STAND_IN_NAMESPACES.get(ns, {})},
        }
        for ns in sorted(extra)
    ]
    pods = {}
    for source in sources:
        namespace, labels = where[source]
        pods[source] = (namespace, f"probe-{source}")
        namespaces.append(_probe_pod(f"probe-{source}", namespace, labels))
    stack.node.kubectl(
        "apply",
        "-f",
        "-",
        stdin=json.dumps({"kind": "List", "apiVersion": "v1", "items": namespaces}),
    )
    for namespace, pod in pods.values():
        proc = stack.node.kubectl(
            "wait",
            "-n",
            namespace,
            "--for=condition=Ready",
            f"pod/{pod}",
            "--timeout=180s",
            check=False,
        )
        assert proc.returncode == 0, f"{proc.stderr}\n{diagnose(stack.node, namespace)}"
    yield pods
    for namespace, pod in pods.values():
        stack.node.kubectl("delete", "pod", "-n", namespace, pod, "--wait=false", check=False)


def test_the_network_policy_matrix_is_enforced(
    stack: Stack, probes: dict[str, tuple[str, str]]
) -> None:
    addresses = {}
    for obj in stack.objects:
        if obj["kind"] in WORKLOAD_KINDS:
            selector = ",".join(
                f"{k}={v}" for k, v in obj["spec"]["selector"]["matchLabels"].items()
            )
            items = stack.node.get_json("pods", "-n", obj["metadata"]["namespace"], "-l", selector)
            # The workload's own pods, not the probe pods carrying its labels.
            running = [
                p
                for p in items["items"]
                if p["status"].get("podIP") and p["metadata"].get("ownerReferences")
            ]
            addresses[obj["metadata"]["name"]] = running[0]["status"]["podIP"]

    def seen(probe: networkpolicy.Probe) -> tuple[bool, str]:
        namespace, pod = probes[probe.source]
        url = f"http://{addresses[probe.destination]}:{probe.port.split('/')[0]}/"
        proc = stack.node.kubectl(
            "exec", "-n", namespace, pod, "--", "/usr/local/bin/probe", "get", url, check=False
        )
        lines = [
            line
            for line in (proc.stdout + proc.stderr).strip().splitlines()
            if line and not line.startswith("command terminated")
        ]  # the answer's status line, or the probe's error (kubectl's exit note left out)
        return _seen_allowed(proc.stdout + proc.stderr), (lines[0] if lines else "")[:70]

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(seen, networkpolicy.MATRIX))
    lines, wrong = [], []
    for probe, (allowed, detail) in zip(networkpolicy.MATRIX, answers, strict=True):
        expected = "allowed" if probe.allowed else "denied"
        got = "allowed" if allowed else "denied"
        lines.append(
            f"  {probe.source:15} {probe.destination:15} {probe.port:9} "
            f"{expected:8} {got:8} {detail}"
        )
        if allowed != probe.allowed:
            wrong.append(lines[-1])
    print("\nNetworkPolicy matrix on the real node (source, destination, port: expected, seen):")
    print("\n".join(lines))
    assert not wrong, "\n".join(wrong)


def test_no_container_restarted_two_minutes_after_ready(stack: Stack) -> None:
    # Last of this file: the tests above use most of the two minutes.
    left = QUIET_SECONDS - (time.monotonic() - stack.ready_at)
    if left > 0:
        time.sleep(left)  # the claim is about a span of time, not a wait for a condition
    restarted = [f"{name}: {count}" for name, count in stack.restarts().items() if count]
    assert not restarted, f"{restarted}\n{diagnostics(stack.node)}"
