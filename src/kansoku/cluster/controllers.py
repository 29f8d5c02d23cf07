"""kube-controller-manager and kube-scheduler: one instance each, TLS on their own port."""

from __future__ import annotations

from kansoku import conventions as cv
from kansoku.cluster import certs
from kansoku.cluster.layout import LOOPBACK, SERVICE_CIDR, Layout, component
from kansoku.stack.components import ComponentSpec


def _delegated(run: Layout, pair: certs.Pair, port: str) -> list[str]:
    """Flags the controller manager and the scheduler share: API access, own TLS port."""
    kube = str(run.kubeconfig)
    return [
        f"--kubeconfig={kube}",
        f"--authentication-kubeconfig={kube}",
        f"--authorization-kubeconfig={kube}",
        f"--bind-address={LOOPBACK}",
        f"--secure-port={run.ports[port]}",
        f"--tls-cert-file={pair.cert}",
        f"--tls-private-key-file={pair.key}",
        "--leader-elect=false",  # one instance of each
    ]


def controller_manager(run: Layout) -> ComponentSpec:
    pki = run.pki
    argv = [
        str(run.tools["kube-controller-manager"]),
        *_delegated(run, pki.controller_manager, "controller-manager"),
        f"--service-account-private-key-file={pki.service_account_key}",
        f"--root-ca-file={pki.ca.cert}",
        "--use-service-account-credentials=true",
        *(_node_flags() if run.node_ip else []),
    ]
    ready = f"{run.url('controller-manager')}/healthz"
    return component("kube-controller-manager", 2, argv, ready)


def scheduler(run: Layout) -> ComponentSpec:
    argv = [
        str(run.tools["kube-scheduler"]),
        *_delegated(run, run.pki.scheduler, "scheduler"),
    ]
    return component("kube-scheduler", 2, argv, f"{run.url('scheduler')}/healthz")


def _node_flags() -> list[str]:
    """With a real node: it gets a pod range (the CNI bridge's; kube-router reads it)."""
    return [
        "--allocate-node-cidrs=true",
        f"--cluster-cidr={cv.REAL_NODE_CLUSTER_CIDR}",
        "--node-cidr-mask-size=24",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
    ]
