"""A one-node Kubernetes cluster with real containers, inside a network namespace of its own.

etcd, the API server, the controller manager, the scheduler, containerd (with Debian's runc),
the kubelet, kube-proxy, kube-router's NetworkPolicy firewall and CoreDNS all run as processes
of the local stack's supervisor, each entered into the namespace with ``nsenter --net``. The
harness reaches the API server and Services only through loopback forwarders (``forward``).

    node = RealNode(directory)
    node.start(images=[...tarballs...])     # Ready node, CoreDNS answering
    node.kubectl("get", "pods", "-A")       # the pinned kubectl, through the forwarder
    port = node.forward("demo", "web", 80)  # 127.0.0.1:port on the host -> the Service
    node.stop()                             # leaves nothing behind
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from kansoku import conventions as cv
from kansoku.cluster import (
    apiserver,
    certs,
    cgroups,
    cni,
    containerd,
    controllers,
    coredns,
    etcd,
    hostchanges,
    kubeconfigs,
    kubelet,
    kubeproxy,
    kuberouter,
    metricsserver,
    preflight,
)
from kansoku.cluster.forward import Forwarder
from kansoku.cluster.hostchanges import HostChanges
from kansoku.cluster.kubectl import run as run_kubectl
from kansoku.cluster.layout import Layout
from kansoku.cluster.netns import Namespace, new_name
from kansoku.cluster.noderecord import NodeRecord, finish, remove_containers
from kansoku.errors import NotRunningError, StackError
from kansoku.stack import state as st
from kansoku.stack.components import ComponentSpec
from kansoku.stack.supervisor import Report, Supervisor
from kansoku.tools import lookup
from kansoku.verify.poll import poll_until

TOOLS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kubelet",
    "kube-proxy",
    "containerd",
    "containerd-shim-runc-v2",
    "ctr",
    "coredns",
    "kube-router",
    "metrics-server",
)
# Fixed ports: the namespace is the run's own, so nothing else can hold them.
PORTS = {
    "etcd-client": 2379,
    "etcd-peer": 2380,
    "apiserver": 6443,
    "controller-manager": 10257,
    "scheduler": 10259,
}


def node_images(names: Sequence[str] = ()) -> list[Path]:
    """The docker-archives of the sandbox (pause) image and of ``names``, built if need be."""
    from kansoku import images

    return [images.build(name) for name in (cv.REAL_NODE_PAUSE_IMAGE, *names)]


def binaries() -> dict[str, Path]:
    """Every binary the node runs; a missing one is a ToolError naming how to build it."""
    return {name: lookup.resolve(name).path for name in TOOLS}


@dataclass
class RealNode:
    """One run of the node under ``directory``: ``start``, then ``stop`` (or ``down``)."""

    directory: Path
    report: Report = print
    probes: preflight.Probes | None = None
    namespace: Namespace | None = None
    supervisor: Supervisor | None = None
    record: NodeRecord | None = None
    layout: Layout | None = None
    api_port: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    _forwarders: list[Forwarder] = field(default_factory=list)

    @property
    def kubeconfig(self) -> Path:
        """The administrator's kubeconfig for the host: the API server through its forwarder."""
        return self.directory / "admin.kubeconfig"

    @property
    def logs(self) -> Path:
        return self.directory / "logs"

    def start(self, images: Sequence[Path] = (), tools: dict[str, Path] | None = None) -> None:
        """Check the machine, then start everything and wait for the node and DNS to be Ready."""
        preflight.check(self.probes)  # before anything is changed
        tools = tools or binaries()
        started = time.monotonic()
        self.directory = self.directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        _refuse_if_running(self.directory)
        _clear_previous_run(self.directory)
        self.namespace = Namespace(new_name())
        self.record = NodeRecord(
            directory=str(self.directory),
            netns=self.namespace.name,
            owner_pid=os.getpid(),
            containerd_socket=str(containerd.socket(self.directory)),
            ctr=str(tools["ctr"]),
            host=HostChanges.record(),
        )
        self.record.save()
        try:
            self._start(tools, list(images), started)
        except BaseException:
            self.stop()
            raise

    def _start(self, tools: dict[str, Path], images: list[Path], started: float) -> None:
        if self.namespace is None or self.record is None:
            raise StackError("start() makes the namespace and the record first")
        self.namespace.create()
        # The kubelet's cgroup root, recorded before it is made so the teardown finds it.
        roots = [str(h / self.namespace.name) for h in cgroups.hierarchies()]
        self.record.host.created_cgroups += roots
        self.record.save()
        cgroups.create(self.namespace.name)
        pki = self._certificates(self.namespace)
        cni.write(self.directory)
        run = Layout(
            self.directory,
            dict(PORTS),
            pki,
            tools,
            self.directory / "inside.kubeconfig",
            node_ip=cv.REAL_NODE_IP,
            cgroup_root=f"/{self.namespace.name}",
        )
        self.layout = run
        specs = self._specs(run, images, started)
        state = st.StackState(
            data_dir=str(self.directory),
            bind_address="127.0.0.1",
            ports={"apiserver": self.api_port},
            supervisor_pid=os.getpid(),
            started_at=time.time(),
        )
        self.supervisor = Supervisor(
            specs, state, self.logs, report=self.report, ready_check=self._ready(pki.ca.cert)
        )
        self.supervisor.start_all()
        self.timings["all_ready"] = time.monotonic() - started  # CoreDNS and metrics-server too
        self.record.status = "ready"
        self.record.save()

    def _certificates(self, namespace: Namespace) -> certs.Certificates:
        """The run's certificates, kubeconfigs for the node's processes (the API server on the
        namespace's loopback) and for the host (through a forwarder, started here)."""
        node = certs.Node(cv.REAL_NODE_NAME, cv.REAL_NODE_IP, cv.REAL_NODE_SERVICE_IP)
        pki = certs.generate(self.directory / "pki", node)
        inside = "https://127.0.0.1:6443"
        kubeconfigs.write(self.directory / "inside.kubeconfig", inside, pki.ca.cert, pki.admin)
        if pki.kubelet is None:
            raise StackError("the node's certificates lack the kubelet's")
        kubelet_config = self.directory / "kubelet.kubeconfig"
        kubeconfigs.write(kubelet_config, inside, pki.ca.cert, pki.kubelet)
        forwarder = Forwarder(namespace, "127.0.0.1", PORTS["apiserver"])
        self.api_port = forwarder.start()
        self._forwarders.append(forwarder)
        server = f"https://127.0.0.1:{self.api_port}"
        kubeconfigs.write(self.kubeconfig, server, pki.ca.cert, pki.admin)
        return pki

    def _specs(self, run: Layout, images: list[Path], started: float) -> list[ComponentSpec]:
        """In stop order reversed: containerd outlives the kubelet, etcd everything."""
        kubelet_spec = replace(
            kubelet.kubelet(run, stage=3),
            prepare=lambda: containerd.import_images(run, images),  # the pause image first
        )
        dns = replace(
            coredns.coredns(run, stage=4),
            prepare=lambda: self._apply(coredns.service_manifest()),
        )
        specs = [
            etcd.etcd(run),
            containerd.containerd(run, stage=0),
            apiserver.apiserver(run),
            controllers.controller_manager(run),
            controllers.scheduler(run),
            kubelet_spec,
            kubeproxy.kube_proxy(run, stage=3),
            replace(
                kuberouter.kube_router(run, stage=4),
                prepare=lambda: self._wait_node_ready(started),  # it reads its Node at start
            ),
            dns,
            replace(
                metricsserver.metrics_server(run, stage=4),
                prepare=lambda: self._apply(metricsserver.manifest(run)),
            ),
        ]
        namespace = self.namespace
        assert namespace is not None  # noqa: S101 - made before the specs
        return [replace(spec, argv=namespace.argv(spec.argv)) for spec in specs]

    def load_images(self, tarballs: Sequence[Path]) -> None:
        """Import more docker-archives into the running node (``ctr images import``)."""
        if self.layout is None:
            raise StackError("the node is not running")
        containerd.import_images(self.layout, list(tarballs))

    def _ready(self, ca: Path) -> Callable[[str], bool]:
        """Readiness checked from inside the namespace (a unix socket needs no namespace)."""
        namespace = self.namespace
        assert namespace is not None  # noqa: S101

        def check(url: str) -> bool:
            if url.startswith("unix://"):
                return _socket_answers(url.removeprefix("unix://"))
            return namespace.call(_http_ok, url, ca)

        return check

    def _wait_node_ready(self, started: float) -> None:
        node = f"node/{cv.REAL_NODE_NAME}"
        poll_until(
            lambda: self.kubectl("get", node, check=False).returncode == 0 or None,
            what=f"the kubelet to register {node}",
            timeout=180,
        )
        self.kubectl("wait", "--for=condition=Ready", node, "--timeout=180s")
        self.timings["node_ready"] = time.monotonic() - started

    def _apply(self, manifest: str) -> None:
        self.kubectl("apply", "--server-side", "-f", "-", stdin=manifest)

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 240
    ) -> subprocess.CompletedProcess[str]:
        """The pinned kubectl as the administrator, through the API server's forwarder."""
        return run_kubectl(self.kubeconfig, *args, stdin=stdin, check=check, timeout=timeout)

    def get_json(self, *args: str) -> Any:
        return json.loads(self.kubectl("get", "-o", "json", *args).stdout)

    def forward(self, namespace: str, service: str, port: int) -> int:
        """A loopback port of the host that reaches ``service:port``: by its ClusterIP, or, for
        a headless Service (none), at the address of its first ready endpoint."""
        if self.namespace is None:
            raise StackError("the node is not running")
        spec = self.get_json("service", "-n", namespace, service)["spec"]
        host, target = spec["clusterIP"], port
        if host == "None":
            host, target = self._endpoint(namespace, service, spec, port)
        forwarder = Forwarder(self.namespace, host, target)
        self._forwarders.append(forwarder)
        return forwarder.start()

    def _endpoint(
        self, namespace: str, service: str, spec: dict[str, Any], port: int
    ) -> tuple[str, int]:
        """The first ready endpoint of a headless Service's TCP ``port``: address, pod port."""
        names = {p.get("name", "") for p in spec["ports"] if p["port"] == port}
        selector = f"kubernetes.io/service-name={service}"
        for piece in self.get_json("endpointslices", "-n", namespace, "-l", selector)["items"]:
            targets = [
                p["port"]
                for p in piece.get("ports") or []
                if p.get("name", "") in names and p.get("protocol", "TCP") == "TCP"
            ]
            for endpoint in piece.get("endpoints") or []:
                if targets and endpoint.get("conditions", {}).get("ready"):
                    return str(endpoint["addresses"][0]), int(targets[0])
        raise StackError(f"headless Service {namespace}/{service}: no ready endpoint for {port}")

    def component_logs(self) -> dict[str, Path]:
        if self.supervisor is None:
            return {}
        return {s.name: self.supervisor.log_path(s) for s in self.supervisor.specs}

    def watch(self) -> None:
        if self.supervisor is not None:
            self.supervisor.watch()

    def stop(self) -> list[str]:
        """Stop everything and undo every change; returns what could not be undone."""
        if self.supervisor is not None:
            if "kubelet" in self.supervisor.processes:
                self.supervisor.stop_component("kubelet")  # first: nothing restarts pods
            if self.record is not None:
                remove_containers(self.record)  # while containerd still runs
            self.supervisor.stop_all()
        for forwarder in self._forwarders:
            forwarder.stop()
        self._forwarders.clear()
        if self.namespace is not None:
            self.namespace.leave()  # the harness's own threads inside it end
        if self.record is None or _stopped_elsewhere(self.record):
            return []
        problems = finish(self.record)
        for problem in problems:
            self.report(f"warning: {problem}")
        return problems


# What a run keeps under its folder; a new run starts from none of it (containerd would
# otherwise try to recover the sandboxes of a run whose namespace is gone).
_RUN_STATE = ("containerd", "kubelet", "kubelet-pki", "etcd", "pki", "cni", "pod-logs", "logs")


def _stopped_elsewhere(record: NodeRecord) -> bool:
    """Whether ``down`` (from the record on disk) already tore the node down."""
    try:
        return NodeRecord.load(Path(record.directory)).status == "stopped"
    except NotRunningError:
        return record.status == "stopped"  # the record's file is gone: ours still knows


def _refuse_if_running(directory: Path) -> None:
    try:
        record = NodeRecord.load(directory)
    except NotRunningError:
        return
    if record.status != "stopped" and st.pid_alive(record.owner_pid):
        raise StackError(
            f"a node is already running under {directory} (pid {record.owner_pid}); "
            "stop it with 'kansoku cluster down'"
        )


def _clear_previous_run(directory: Path) -> None:
    hostchanges.unmount_under(directory)
    for name in _RUN_STATE:
        shutil.rmtree(directory / name, ignore_errors=True)


def _socket_answers(path: str) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(path)
        except OSError:
            return False
        return True


def _http_ok(url: str, ca: Path) -> bool:
    try:
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca))
        return httpx.get(url, timeout=2.0, verify=verify).status_code < 400
    except httpx.HTTPError:
        return False
