"""kube-apiserver: Pod Security ``restricted`` in every namespace, RBAC, one instance."""

from __future__ import annotations

import json
from typing import Any

from kansoku.cluster.layout import ADMISSION_PLUGINS, LOOPBACK, SERVICE_CIDR, Layout, component
from kansoku.stack.components import ComponentSpec


def apiserver(run: Layout) -> ComponentSpec:
    pki = run.pki
    admission = run.directory / "admission.json"
    admission.write_text(json.dumps(admission_config(), indent=2))
    argv = [
        str(run.tools["kube-apiserver"]),
        f"--etcd-servers={run.url('etcd-client', 'http')}",
        *(_node_flags(run) if run.node_ip else _loopback_flags()),
        f"--secure-port={run.ports['apiserver']}",
        f"--tls-cert-file={pki.apiserver.cert}",
        f"--tls-private-key-file={pki.apiserver.key}",
        f"--client-ca-file={pki.ca.cert}",
        f"--service-account-key-file={pki.service_account_pub}",
        f"--service-account-signing-key-file={pki.service_account_key}",
        "--service-account-issuer=https://kubernetes.default.svc",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=" + ",".join(ADMISSION_PLUGINS),
        f"--admission-control-config-file={admission}",
        "--allow-privileged=false",
        "--profiling=false",
    ]
    return component("kube-apiserver", 1, argv, f"{run.url('apiserver')}/readyz", timeout=120)


def _loopback_flags() -> list[str]:
    return [
        f"--bind-address={LOOPBACK}",
        f"--advertise-address={LOOPBACK}",
        # The kubernetes Service's endpoints would name 127.0.0.1; one API server needs none.
        "--endpoint-reconciler-type=none",
    ]


def _node_flags(run: Layout) -> list[str]:
    """With a real node: pods reach it at the node's address through the kubernetes Service,
    and it reaches the kubelet (logs, exec, port-forward) at that address, checking its
    serving certificate against the run's CA."""
    pki = run.pki
    return [
        # Inside the node's own network namespace: loopback and the node's address.
        "--bind-address=0.0.0.0",
        f"--advertise-address={run.node_ip}",
        f"--kubelet-client-certificate={pki.admin.cert}",
        f"--kubelet-client-key={pki.admin.key}",
        f"--kubelet-certificate-authority={pki.ca.cert}",
        "--kubelet-preferred-address-types=InternalIP",
        *_aggregation_flags(run),
    ]


def _aggregation_flags(run: Layout) -> list[str]:
    """The aggregation layer (metrics-server's API): the API server proxies as
    front-proxy-client and dials the APIService's endpoint, not its ClusterIP."""
    pair = run.pki.front_proxy
    if pair is None:
        return []
    return [
        f"--proxy-client-cert-file={pair.cert}",
        f"--proxy-client-key-file={pair.key}",
        f"--requestheader-client-ca-file={run.pki.ca.cert}",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--enable-aggregator-routing=true",
    ]


def admission_config() -> dict[str, Any]:
    """Pod Security ``restricted`` enforced in every namespace (kube-system exempt)."""
    defaults = {
        f"{mode}{suffix}": value
        for mode in ("enforce", "audit", "warn")
        for suffix, value in (("", "restricted"), ("-version", "latest"))
    }
    exemptions = {"usernames": [], "runtimeClasses": [], "namespaces": ["kube-system"]}
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                "name": "PodSecurity",
                "configuration": {
                    "apiVersion": "pod-security.admission.config.k8s.io/v1",
                    "kind": "PodSecurityConfiguration",
                    "defaults": defaults,
                    "exemptions": exemptions,
                },
            }
        ],
    }
