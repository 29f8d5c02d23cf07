"""kube-router, only its NetworkPolicy firewall (no routing, no service proxy, no CNI).

kube-network-policies would need the kernel's nft_queue, which not every kernel has; kube-router
enforces policies with iptables and ipsets, both inside the node's namespace.
"""

from __future__ import annotations

from kansoku import conventions as cv
from kansoku.cluster.layout import SERVICE_CIDR, Layout, component
from kansoku.stack.components import ComponentSpec

HEALTH_PORT = 20244


def kube_router(run: Layout, stage: int) -> ComponentSpec:
    argv = [
        str(run.tools["kube-router"]),
        f"--kubeconfig={run.kubeconfig}",
        f"--hostname-override={cv.REAL_NODE_NAME}",
        "--run-firewall=true",
        # kube-proxy serves the Services and the CNI bridge routes the pods.
        "--run-router=false",
        "--run-service-proxy=false",
        "--enable-cni=false",
        # No SNAT of pod egress: nothing leaves the namespace.
        "--enable-pod-egress=false",
        "--enable-ipv6=false",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        f"--health-port={HEALTH_PORT}",
        "--metrics-port=0",
    ]
    return component("kube-router", stage, argv, f"http://127.0.0.1:{HEALTH_PORT}/healthz")
