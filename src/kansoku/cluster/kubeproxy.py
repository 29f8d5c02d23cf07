"""kube-proxy: Services by iptables rules, inside the node's network namespace only."""

from __future__ import annotations

import json
from typing import Any

from kansoku import conventions as cv
from kansoku.cluster.layout import Layout, component
from kansoku.stack.components import ComponentSpec

HEALTHZ_PORT = 10256


def config(run: Layout) -> dict[str, Any]:
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(run.kubeconfig)},
        "hostnameOverride": cv.REAL_NODE_NAME,
        # IPVS is not built into every kernel; iptables is everywhere.
        "mode": "iptables",
        "nodePortAddresses": ["primary"],
        "clusterCIDR": cv.REAL_NODE_CLUSTER_CIDR,
        # Lowering oom_score_adj needs CAP_SYS_RESOURCE.
        "oomScoreAdj": 0,
        "metricsBindAddress": "127.0.0.1:10249",
        "healthzBindAddress": f"127.0.0.1:{HEALTHZ_PORT}",
        # Zeros leave the conntrack sysctls alone: they are global to the machine, not the
        # namespace's.
        "conntrack": {
            "maxPerCore": 0,
            "min": 0,
            "tcpEstablishedTimeout": "0s",
            "tcpCloseWaitTimeout": "0s",
        },
    }


def kube_proxy(run: Layout, stage: int) -> ComponentSpec:
    path = run.directory / "kube-proxy-config.yaml"
    path.write_text(json.dumps(config(run), indent=2) + "\n")
    argv = [str(run.tools["kube-proxy"]), f"--config={path}"]
    return component("kube-proxy", stage, argv, f"http://127.0.0.1:{HEALTHZ_PORT}/healthz")
