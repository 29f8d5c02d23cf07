"""The cluster as ``kansoku bench cluster`` sees it: the pinned kubectl against a kubeconfig
whose API server is on loopback (the real node's forwarder), and the few questions the
scenario asks of it. Anything with the same ``kubectl`` method (the control plane of
``kansoku.cluster``) serves as well.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from kansoku.cluster import operations
from kansoku.cluster.kubectl import Kubectl
from kansoku.cluster.kubectl import run as run_kubectl
from kansoku.cluster.operations import unready
from kansoku.errors import ConfigError

_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass(frozen=True)
class KubeconfigCluster:
    """The pinned kubectl with one kubeconfig."""

    kubeconfig: Path

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return run_kubectl(self.kubeconfig, *args, stdin=stdin, check=check, timeout=timeout)


def loopback_cluster(kubeconfig: Path) -> KubeconfigCluster:
    """The cluster of ``kubeconfig``'s current context, refused unless its API server is on
    127.0.0.0/8: the bench measures the node made for the run, never another cluster."""
    try:
        config = yaml.safe_load(kubeconfig.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(kubeconfig), "(file)", f"a readable kubeconfig ({exc})") from None
    contexts = {c["name"]: c["context"] for c in config.get("contexts") or []}
    clusters = {c["name"]: c["cluster"] for c in config.get("clusters") or []}
    current = config.get("current-context", "")
    try:
        server = clusters[contexts[current]["cluster"]]["server"]
    except KeyError:
        raise ConfigError(
            str(kubeconfig), "current-context", "a context whose cluster has a server"
        ) from None
    host = urlsplit(server).hostname or ""
    try:
        on_loopback = ipaddress.ip_address(host) in ipaddress.ip_network("127.0.0.0/8")
    except ValueError:
        on_loopback = False
    if not on_loopback:
        raise ConfigError(
            str(kubeconfig),
            f"clusters[{contexts[current]['cluster']}].server",
            f"an API server on 127.0.0.0/8 (the real node's forwarder), not {server}",
        )
    return KubeconfigCluster(kubeconfig)


def get_json(cluster: Kubectl, *args: str) -> Any:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def apply(cluster: Kubectl, objects: list[dict[str, Any]]) -> None:
    """Server-side apply of ``objects``, as the cluster tests apply (warnings allowed)."""
    operations.apply(cluster, yaml.safe_dump_all(objects), allow_warnings=True, timeout=300)


def waiting_workloads(cluster: Kubectl, objects: list[dict[str, Any]]) -> list[str]:
    """Why each workload of ``objects`` is not rolled out yet (empty: all Ready)."""
    wanted = [
        (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])
        for o in objects
        if o["kind"] in _WORKLOAD_KINDS
    ]
    kinds = ",".join(sorted({k.lower() for k, _, _ in wanted}))
    live = {
        (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o
        for o in get_json(cluster, kinds, "-A")["items"]
    }
    out = []
    for key in wanted:
        obj = live.get(key)
        reason = "not created yet" if obj is None else unready(obj)
        if reason:
            out.append(f"{key[0]}/{key[2]}: {reason}")
    return out


def resource_metrics(cluster: Kubectl) -> str:
    """Every node's kubelet ``/metrics/resource`` (Prometheus text), through the API server."""
    nodes = [n["metadata"]["name"] for n in get_json(cluster, "nodes")["items"]]
    return "\n".join(
        cluster.kubectl("get", "--raw", f"/api/v1/nodes/{node}/proxy/metrics/resource").stdout
        for node in nodes
    )
