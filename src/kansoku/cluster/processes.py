"""How each process of the control plane is started: every listener on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kansoku import conventions as cv
from kansoku.cluster import certs
from kansoku.cluster.kwok import stage_config
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

    def url(self, port: str, scheme: str = "https") -> str:
        return f"{scheme}://{LOOPBACK}:{self.ports[port]}"


def _spec(
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


def etcd(run: Layout) -> ComponentSpec:
    client, peer = run.url("etcd-client", "http"), run.url("etcd-peer", "http")
    argv = [
        str(run.tools["etcd"]),
        "--name=kansoku",
        f"--data-dir={run.directory / 'etcd'}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=kansoku={peer}",
        "--unsafe-no-fsync",  # a store thrown away after the run: speed over durability
    ]
    return _spec("etcd", 0, argv, f"{client}/health")


def apiserver(run: Layout) -> ComponentSpec:
    pki = run.pki
    admission = run.directory / "admission.json"
    admission.write_text(json.dumps(admission_config(), indent=2))
    argv = [
        str(run.tools["kube-apiserver"]),
        f"--etcd-servers={run.url('etcd-client', 'http')}",
        f"--bind-address={LOOPBACK}",
        f"--advertise-address={LOOPBACK}",
        f"--secure-port={run.ports['apiserver']}",
        # The kubernetes Service's endpoints would name 127.0.0.1; one API server needs none.
        "--endpoint-reconciler-type=none",
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
    return _spec("kube-apiserver", 1, argv, f"{run.url('apiserver')}/readyz", timeout=120)


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
    ]
    ready = f"{run.url('controller-manager')}/healthz"
    return _spec("kube-controller-manager", 2, argv, ready)


def scheduler(run: Layout) -> ComponentSpec:
    argv = [
        str(run.tools["kube-scheduler"]),
        *_delegated(run, run.pki.scheduler, "scheduler"),
    ]
    return _spec("kube-scheduler", 2, argv, f"{run.url('scheduler')}/healthz")


def kwok(run: Layout) -> ComponentSpec:
    """kwok serves nothing (no --server-address): it only talks to the API server."""
    stages = stage_config(run.tools["kwok"], run.directory / "kwok-stages.yaml")
    argv = [
        str(run.tools["kwok"]),
        f"--kubeconfig={run.kubeconfig}",
        f"--config={stages}",
        f"--manage-nodes-with-annotation-selector={cv.KWOK_NODE_ANNOTATION}=fake",
        f"--cidr={POD_CIDR}",
        f"--node-ip={POD_CIDR.split('/', maxsplit=1)[0]}",
    ]
    return _spec("kwok", 3, argv, None)


def specs(run: Layout) -> list[ComponentSpec]:
    return [etcd(run), apiserver(run), controller_manager(run), scheduler(run), kwok(run)]


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
