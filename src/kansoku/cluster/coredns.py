"""CoreDNS, the cluster's DNS, run as a process of the node beside the kubelet.

A process rather than a pod: it starts and stops with the node under the same supervisor, is
ready before any workload, and logs beside the other components. Pods reach it through the
``kube-dns`` Service, whose one endpoint is the node's address. It forwards nothing: a name
outside the cluster gets no answer from the network.
"""

from __future__ import annotations

import json

from kansoku import conventions as cv
from kansoku.cluster.layout import Layout, component, node_endpoints
from kansoku.stack.components import ComponentSpec

HEALTH_PORT = 8080
READY_PORT = 8181
SERVICE = "kube-dns"


def corefile(run: Layout) -> str:
    zone = cv.REAL_NODE_CLUSTER_DOMAIN
    return f"""\
.:53 {{
    bind {cv.REAL_NODE_IP}
    errors
    health 127.0.0.1:{HEALTH_PORT}
    ready 127.0.0.1:{READY_PORT}
    kubernetes {zone} in-addr.arpa ip6.arpa {{
        kubeconfig {run.kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 30
    loop
}}
"""


def coredns(run: Layout, stage: int) -> ComponentSpec:
    path = run.directory / "Corefile"
    path.write_text(corefile(run))
    argv = [str(run.tools["coredns"]), "-conf", str(path)]
    # The ready plugin answers once the kubernetes plugin has synced with the API server.
    return component("coredns", stage, argv, f"http://127.0.0.1:{READY_PORT}/ready")


def service_manifest() -> str:
    """The ``kube-dns`` Service at the cluster DNS address, its endpoint the node itself."""
    labels = {"k8s-app": SERVICE, "kubernetes.io/name": "CoreDNS"}
    ports = [
        {"name": "dns", "port": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
    ]
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": SERVICE, "namespace": "kube-system", "labels": labels},
        "spec": {
            "clusterIP": cv.REAL_NODE_DNS_IP,
            "ports": [{**p, "targetPort": 53} for p in ports],
        },
    }
    slice_ = node_endpoints(SERVICE, ports)
    return "\n---\n".join(json.dumps(doc) for doc in (service, slice_))
