"""What the processes of one cluster run share: folder, ports, certificates, binaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kansoku import conventions as cv
from kansoku.cluster import certs
from kansoku.stack.components import ComponentSpec

LOOPBACK = "127.0.0.1"
# Ranges the API server and kwok hand out. They are data written into objects: nothing
# connects to them.
SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.1/16"
ADMISSION_PLUGINS = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "PodSecurity",
    "ResourceQuota",
    "NodeRestriction",
)


@dataclass(frozen=True)
class Layout:
    """What the processes of one run share: its folder, ports, certificates, binaries."""

    directory: Path
    ports: dict[str, int]
    pki: certs.Certificates
    tools: dict[str, Path]
    kubeconfig: Path
    node_ip: str = ""  # a real node's address; "" for the simulated nodes on loopback
    cgroup_root: str = "/"  # a real node's kubelet puts its pods' cgroups under this one

    def url(self, port: str, scheme: str = "https") -> str:
        return f"{scheme}://{LOOPBACK}:{self.ports[port]}"


def component(
    name: str, stage: int, argv: Sequence[str], ready: str | None, timeout: float = 60
) -> ComponentSpec:
    return ComponentSpec(
        name=name,
        argv=list(argv),
        env={},
        ready_url=ready,
        port_keys=(),
        url=ready or "",
        startup_timeout=timeout,
        stage=stage,
    )


def node_endpoints(service: str, ports: list[dict[str, Any]]) -> dict[str, Any]:
    """The EndpointSlice of a kube-system Service served by a process of the node itself
    (CoreDNS, metrics-server), not by pods: its one endpoint is the node's address."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service}-node",
            "namespace": "kube-system",
            "labels": {"kubernetes.io/service-name": service},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [cv.REAL_NODE_IP], "conditions": {"ready": True}}],
        "ports": ports,
    }
