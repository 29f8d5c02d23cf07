"""A real Kubernetes control plane on loopback, with kwok simulating the nodes and pods.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler (built from the pinned
modules) and kwok run under the local stack's supervisor: each in its own process group,
killed if this process dies, stopped in reverse order. Every listener is bound to 127.0.0.1
on a port picked free for this run; certificates are made anew for each run. The simulated
pods' and nodes' IP addresses are data in the API, never something to connect to.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from kansoku import conventions as cv
from kansoku.cluster import certs, kubeconfigs, processes
from kansoku.cluster.kubectl import run as run_kubectl
from kansoku.cluster.layout import LOOPBACK, Layout
from kansoku.stack import state as st
from kansoku.stack.supervisor import Report, Supervisor
from kansoku.tools import lookup

BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
TOOLS = (*BINARIES, "kwok")  # what ``binaries()`` resolves


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def binaries() -> dict[str, Path]:
    """Every control-plane binary, including kwok; missing ones are a ToolError."""
    return {name: lookup.resolve(name).path for name in TOOLS}


@dataclass
class ControlPlane:
    """One run's directory, ports and processes; ``start`` then ``stop``."""

    directory: Path
    report: Report = print
    nodes: int = cv.CLUSTER_NODES
    ports: dict[str, int] = field(default_factory=dict)
    supervisor: Supervisor | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.directory / "admin.kubeconfig"

    @property
    def server(self) -> str:
        return f"https://{LOOPBACK}:{self.ports['apiserver']}"

    @property
    def ca(self) -> Path:
        return self.directory / "pki" / "ca.crt"

    def start(self, tools: dict[str, Path] | None = None) -> None:
        """Start everything and wait until the simulated nodes are Ready."""
        tools = tools or binaries()
        self.directory.mkdir(parents=True, exist_ok=True)
        pki = certs.generate(self.directory / "pki")
        names = ("etcd-client", "etcd-peer", "apiserver", "controller-manager", "scheduler")
        self.ports = {name: free_port() for name in names}
        kubeconfigs.write(self.kubeconfig, self.server, pki.ca.cert, pki.admin)
        layout = Layout(self.directory, self.ports, pki, tools, self.kubeconfig)
        specs = processes.specs(layout)
        state = st.StackState(
            data_dir=str(self.directory),
            bind_address=LOOPBACK,
            ports=dict(self.ports),
            supervisor_pid=os.getpid(),
            started_at=time.time(),
        )
        ready = _https_ready(pki.ca.cert)
        self.supervisor = Supervisor(
            specs, state, self.directory / "logs", report=self.report, ready_check=ready
        )
        self.supervisor.start_all()
        try:
            self._add_nodes()
        except BaseException:
            self.stop()
            raise

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the pinned kubectl against this cluster as its administrator."""
        return run_kubectl(self.kubeconfig, *args, stdin=stdin, check=check, timeout=timeout)

    def api(self) -> httpx.Client:
        """An HTTPS client of the API server, as its administrator."""
        pki = self.directory / "pki"
        context = ssl.create_default_context(cafile=str(self.ca))
        context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
        return httpx.Client(base_url=self.server, verify=context, timeout=30.0)

    def get_json(self, *args: str) -> Any:
        return json.loads(self.kubectl("get", "-o", "json", *args).stdout)

    def _add_nodes(self) -> None:
        """Register the simulated nodes and wait until kwok reports each one Ready."""
        self.kubectl("apply", "--server-side", "-f", "-", stdin=_nodes_yaml(self.nodes))
        self.report(f"waiting for {self.nodes} simulated nodes to be Ready ...")
        self.kubectl(
            "wait", "--for=condition=Ready", "node", "--all", "--timeout=120s", timeout=150
        )

    def running_pids(self) -> list[int]:
        """Processes of this run still alive (for the leftover check after ``stop``)."""
        if self.supervisor is None:
            return []
        return [p.pid for p in self.supervisor.processes.values() if st.pid_alive(p.pid)]

    def watch(self) -> None:
        """Report components that die, until asked to stop (Ctrl-C)."""
        if self.supervisor is not None:
            self.supervisor.watch()

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop_all()


def _https_ready(ca: Path) -> Callable[[str], bool]:
    """Readiness over TLS, trusting only this run's CA."""

    def ready(url: str) -> bool:
        try:
            context = ssl.create_default_context(cafile=str(ca))
            return httpx.get(url, timeout=2.0, verify=context).status_code < 400
        except httpx.HTTPError:
            return False

    return ready


def _nodes_yaml(count: int) -> str:
    """Simulated nodes, spread over zones so topology spread constraints can be met."""
    docs = []
    for i in range(count):
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": f"kwok-node-{i}",
                "annotations": {cv.KWOK_NODE_ANNOTATION: "fake"},
                "labels": {
                    "type": "kwok",
                    "kubernetes.io/hostname": f"kwok-node-{i}",
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "topology.kubernetes.io/zone": f"zone-{'abc'[i % 3]}",
                },
            },
            "status": {
                "allocatable": {"cpu": "32", "memory": "128Gi", "pods": "110"},
                "capacity": {"cpu": "32", "memory": "128Gi", "pods": "110"},
            },
        }
        docs.append(json.dumps(node))
    return "\n---\n".join(docs)
