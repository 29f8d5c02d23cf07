"""kube-controller-manager and kube-scheduler: one instance each, TLS on their own port."""

from __future__ import annotations

from kansoku import conventions as cv
from kansoku.cluster import certs
from kansoku.cluster.layout import LOOPBACK, SERVICE_CIDR, Layout, component
from kansoku.stack.components import ComponentSpec

# The HorizontalPodAutoscaler controller, at the upstream defaults but stated, so the HPA tests
# compute its reaction from the same figures the controller runs with.
HPA_SYNC_SECONDS = 15  # each HPA is evaluated this often
HPA_TOLERANCE = 0.1  # no scaling while usage / target is within 1 +- this
# A pod younger than this counts for CPU only once Ready and sampled after it became Ready.
HPA_CPU_INITIALIZATION_SECONDS = 300
HPA_INITIAL_READINESS_DELAY_SECONDS = 30  # readiness flips this soon after start are initial
# Scale-down stabilization for HPAs that set none (ours sets its own: 300 s).
HPA_DOWNSCALE_STABILIZATION_SECONDS = 300


def _hpa_flags() -> list[str]:
    return [
        f"--horizontal-pod-autoscaler-sync-period={HPA_SYNC_SECONDS}s",
        f"--horizontal-pod-autoscaler-tolerance={HPA_TOLERANCE}",
        f"--horizontal-pod-autoscaler-cpu-initialization-period={HPA_CPU_INITIALIZATION_SECONDS}s",
        f"--horizontal-pod-autoscaler-initial-readiness-delay={HPA_INITIAL_READINESS_DELAY_SECONDS}s",
        "--horizontal-pod-autoscaler-downscale-stabilization="
        f"{HPA_DOWNSCALE_STABILIZATION_SECONDS}s",
    ]


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
        *_hpa_flags(),
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
