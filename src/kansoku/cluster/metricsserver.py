"""metrics-server, the resource metrics API (``kubectl top``, HorizontalPodAutoscalers).

A process of the node, like CoreDNS: it serves on the node's address with a certificate of the
run's CA, and the API server's aggregation layer reaches it through a ``metrics-server``
Service whose one endpoint is the node (``--enable-aggregator-routing``: the API server dials
the endpoint itself). It scrapes the kubelet's resource metrics, checking the kubelet's serving
certificate against the run's CA.
"""

from __future__ import annotations

import base64
import json

from kansoku import conventions as cv
from kansoku.cluster.layout import Layout, component, node_endpoints
from kansoku.errors import StackError
from kansoku.stack.components import ComponentSpec

PORT = 4443
SERVICE = "metrics-server"
GROUP = "metrics.k8s.io"
# How often it scrapes the kubelet; each pod's CPU is the rate between its last two scrapes,
# so a change of load shows in full one to two resolutions later (the HPA reads this).
METRIC_RESOLUTION_SECONDS = 15


def metrics_server(run: Layout, stage: int) -> ComponentSpec:
    pki = run.pki
    if pki.metrics_server is None:
        raise StackError("metrics-server needs the certificates made for a node (certs.Node)")
    kube = str(run.kubeconfig)
    argv = [
        str(run.tools["metrics-server"]),
        f"--kubeconfig={kube}",
        f"--authentication-kubeconfig={kube}",
        f"--authorization-kubeconfig={kube}",
        f"--bind-address={cv.REAL_NODE_IP}",
        f"--secure-port={PORT}",
        f"--tls-cert-file={pki.metrics_server.cert}",
        f"--tls-private-key-file={pki.metrics_server.key}",
        "--kubelet-preferred-address-types=InternalIP",
        f"--kubelet-certificate-authority={pki.ca.cert}",
        f"--metric-resolution={METRIC_RESOLUTION_SECONDS}s",
    ]
    # /livez: /readyz waits for a first scrape of the node, which has no pods yet.
    return component("metrics-server", stage, argv, f"https://{cv.REAL_NODE_IP}:{PORT}/livez")


def manifest(run: Layout) -> str:
    """The Service (its endpoint the node) and the APIService that trusts the run's CA."""
    ports = [{"name": "https", "port": 443, "targetPort": PORT, "protocol": "TCP"}]
    meta = {"name": SERVICE, "namespace": "kube-system"}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {"ports": ports}}
    endpoints = node_endpoints(SERVICE, [{"name": "https", "port": PORT, "protocol": "TCP"}])
    api_service = {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": f"v1beta1.{GROUP}"},
        "spec": {
            "service": {"name": SERVICE, "namespace": "kube-system", "port": 443},
            "group": GROUP,
            "version": "v1beta1",
            "caBundle": base64.b64encode(run.pki.ca.cert.read_bytes()).decode(),
            "groupPriorityMinimum": 100,
            "versionPriority": 100,
        },
    }
    return "\n---\n".join(json.dumps(d) for d in (service, endpoints, api_service))
