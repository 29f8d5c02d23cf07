"""Real containers on one node: security context, logs, exec, Services, DNS, limits, policies.

Every value is read from inside a container (``probe status`` prints its own
/proc/self/status) or from the kubelet's own report; the harness reaches the node only through
loopback forwarders. The last test stops the node and checks that nothing is left.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from node_harness import (
    PROBE_IMAGE,
    RESTRICTED,
    Run,
    diagnose,
    mounted_under,
    processes_naming,
)

from kansoku import conventions as cv
from kansoku.cluster import noderecord
from kansoku.cluster.realnode import RealNode
from kansoku.stack import state as st
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.realnode

NS = "demo"


def _pod(name: str, labels: dict[str, str], args: list[str], **extra: Any) -> dict[str, Any]:
    container = {
        "name": "probe",
        "image": PROBE_IMAGE,
        "imagePullPolicy": "Never",  # imported into the node; no registry is ever asked
        "args": args,
        "securityContext": RESTRICTED,
        **extra,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "spec": {"containers": [container], "restartPolicy": "Never"},
    }


def _manifests() -> list[dict[str, Any]]:
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": NS, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
    }
    probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 1}
    web = _pod("web", {"app": "web"}, ["serve", ":8080"], readinessProbe=probe)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "web-from-clients", "namespace": NS},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "client"}}}]}],
        },
    }
    client = _pod("client", {"role": "client"}, ["sleep"])
    intruder = _pod("intruder", {"role": "intruder"}, ["sleep"])
    return [namespace, web, service, policy, client, intruder]


@pytest.fixture(scope="module")
def demo(node: RealNode) -> RealNode:
    node.kubectl("apply", "-f", "-", stdin="\n---\n".join(json.dumps(m) for m in _manifests()))
    proc = node.kubectl(
        "wait", "-n", NS, "--for=condition=Ready", "pod", "--all", "--timeout=180s", check=False
    )
    assert proc.returncode == 0, f"{proc.stderr}\n{diagnose(node, NS)}"
    return node


def _exec(node: RealNode, pod: str, *argv: str, check: bool = True) -> str:
    proc = node.kubectl("exec", "-n", NS, pod, "--", "/usr/local/bin/probe", *argv, check=False)
    if check:
        assert proc.returncode == 0, f"exec {argv}: {proc.stderr}\n{diagnose(node, NS)}"
    return proc.stdout + proc.stderr


def test_the_node_is_ready_with_the_runtime_it_reports(node: RealNode) -> None:
    item = node.get_json("node", cv.REAL_NODE_NAME)
    ready = {c["type"]: c["status"] for c in item["status"]["conditions"]}["Ready"]
    assert ready == "True"
    assert item["status"]["nodeInfo"]["containerRuntimeVersion"] == "containerd://2.4.2"
    addresses = {a["type"]: a["address"] for a in item["status"]["addresses"]}
    assert addresses["InternalIP"] == cv.REAL_NODE_IP


def test_a_restricted_pod_runs_unprivileged_values_read_inside(demo: RealNode) -> None:
    status = dict(
        line.split(":", 1) for line in _exec(demo, "web", "status").splitlines() if ":" in line
    )
    fields = {k.strip(): v.split() for k, v in status.items()}
    assert fields["Uid"][0] == "10001", fields
    assert fields["CapEff"] == ["0000000000000000"], fields
    assert fields["NoNewPrivs"] == ["1"], fields
    assert fields["Seccomp"] == ["2"], fields  # filter mode: the RuntimeDefault profile
    refused = _exec(demo, "web", "write", "/probe-was-here", check=False)
    assert "read-only file system" in refused, refused


def test_logs_and_exec_reach_the_container(demo: RealNode) -> None:
    logs = demo.kubectl("logs", "-n", NS, "web").stdout
    assert "probe listening on :8080" in logs
    hostname = demo.kubectl(
        "exec", "-n", NS, "web", "--", "/usr/local/bin/probe", "get", "http://127.0.0.1:8080/"
    ).stdout
    assert "probe web" in hostname


def test_a_service_answers_by_cluster_ip_and_by_dns_name(demo: RealNode) -> None:
    port = demo.forward(NS, "web", 80)  # the host dials 127.0.0.1 only
    answer = poll_until(
        lambda: httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text or None,
        what="the web Service through its ClusterIP",
        timeout=60,
    )
    assert answer.startswith("probe web")
    name = f"web.{NS}.svc.{cv.REAL_NODE_CLUSTER_DOMAIN}"
    resolved = _exec(demo, "client", "resolve", name)
    cluster_ip = demo.get_json("service", "-n", NS, "web")["spec"]["clusterIP"]
    assert cluster_ip in resolved.split(), resolved
    assert "probe web" in _exec(demo, "client", "get", f"http://{name}/")


def test_a_network_policy_admits_the_client_and_refuses_the_intruder(demo: RealNode) -> None:
    url = f"http://web.{NS}.svc.{cv.REAL_NODE_CLUSTER_DOMAIN}/"

    def intruder_refused() -> str | None:
        # kube-router applies the policy on its next sync after the pods appear.
        answer = _exec(demo, "intruder", "get", url, check=False)
        return None if "200 OK" in answer else answer

    refused = poll_until(intruder_refused, what="the policy to refuse the intruder", timeout=120)
    assert "Timeout" in refused or "deadline" in refused or "refused" in refused, refused
    assert "200 OK" in _exec(demo, "client", "get", url)


def test_a_memory_limit_oom_kills(demo: RealNode) -> None:
    resources = {"limits": {"memory": "32Mi", "cpu": "200m"}, "requests": {"memory": "32Mi"}}
    hog = _pod("hog", {"app": "hog"}, ["alloc", "100"], resources=resources)
    demo.kubectl("apply", "-f", "-", stdin=json.dumps(hog))

    def terminated() -> dict[str, Any] | None:
        pod = demo.get_json("pod", "-n", NS, "hog")
        statuses = pod["status"].get("containerStatuses") or [{}]
        done: dict[str, Any] | None = statuses[0].get("state", {}).get("terminated")
        return done

    try:
        state = poll_until(terminated, what="the hog container to end", timeout=120)
    except Exception as exc:
        raise AssertionError(f"{exc}\n{diagnose(demo, NS)}") from exc
    assert state["reason"] == "OOMKilled", state


def test_the_resource_metrics_api_serves_the_node_and_pods(demo: RealNode) -> None:
    """metrics-server behind the aggregation layer (what ``kubectl top`` and HPAs read)."""

    def pod_metrics() -> dict[str, Any] | None:
        raw = demo.kubectl("get", "--raw", f"/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods")
        items = {i["metadata"]["name"]: i for i in json.loads(raw.stdout)["items"]}
        return items.get("web")

    web = poll_until(pod_metrics, what="metrics-server to report the web pod", timeout=180)
    assert web["containers"][0]["usage"]["memory"].endswith("Ki"), web
    nodes = json.loads(demo.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes").stdout)
    assert [n["metadata"]["name"] for n in nodes["items"]] == [cv.REAL_NODE_NAME]


def test_down_leaves_nothing_behind(realnode_run: Run) -> None:
    """``kansoku cluster down``'s teardown, from the record alone (as when the process that
    started the node is gone): every process killed by its recorded PID."""
    node, before = realnode_run.node, realnode_run.before
    record = node.record
    assert record is not None
    socket = record.containerd_socket
    problems = noderecord.down(node.directory)
    assert problems == []
    node.stop()  # only the harness's forwarders and its threads inside the namespace are left
    assert [pid for pid in realnode_run.pids if st.pid_alive(pid)] == []
    assert processes_naming(socket) == [], "a shim or process still names the node's socket"
    assert not Path("/run/netns", record.netns).exists()
    assert [c for c in record.host.created_cgroups if Path(c).exists()] == []
    assert any(record.netns in c for c in record.host.created_cgroups)  # its own cgroup root
    assert mounted_under(node.directory) == []
    after = type(before).take()
    assert after.sysctls == before.sysctls
    assert after.paths == before.paths
    assert after.cgroups == before.cgroups
