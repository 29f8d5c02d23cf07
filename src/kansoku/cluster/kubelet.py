"""The kubelet: the node agent, configured for a cgroup v1 container without CAP_SYS_RESOURCE."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kansoku import conventions as cv
from kansoku.cluster import containerd
from kansoku.cluster.layout import Layout, component
from kansoku.errors import StackError
from kansoku.stack.components import ComponentSpec

HEALTHZ_PORT = 10248
# The kubelet's cAdvisor refreshes each container's stats every 10 s, stretched up to this
# when a container is quiet (dynamic housekeeping; fixed in the kubelet, not configurable):
# the age of a CPU figure metrics-server reads from /metrics/resource.
CADVISOR_MAX_HOUSEKEEPING_SECONDS = 15


def root_dir(directory: Path) -> Path:
    return directory / "kubelet"


def config(run: Layout) -> dict[str, Any]:
    """KubeletConfiguration; the comments of ``_WHY`` say why each unusual field is set."""
    pki = run.pki
    if pki.kubelet_serving is None:
        raise StackError("the kubelet needs the certificates made for a node (certs.Node)")
    sock = f"unix://{containerd.socket(run.directory)}"
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        **_UNUSUAL,
        "address": cv.REAL_NODE_IP,
        "port": 10250,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": HEALTHZ_PORT,
        "tlsCertFile": str(pki.kubelet_serving.cert),
        "tlsPrivateKeyFile": str(pki.kubelet_serving.key),
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(pki.ca.cert)},
        },
        "authorization": {"mode": "Webhook"},
        "cgroupRoot": run.cgroup_root,
        "clusterDNS": [cv.REAL_NODE_DNS_IP],
        "clusterDomain": cv.REAL_NODE_CLUSTER_DOMAIN,
        "containerRuntimeEndpoint": sock,
        "imageServiceEndpoint": sock,
        "podLogsDir": str(run.directory / "pod-logs"),
        "volumePluginDir": str(run.directory / "kubelet-plugins"),
        "staticPodPath": "",
        "maxPods": 50,
        "serializeImagePulls": False,
    }


# Settings a machine like a CI container needs (cgroup v1, no CAP_SYS_RESOURCE, no systemd).
_UNUSUAL: dict[str, Any] = {
    "cgroupDriver": "cgroupfs",
    "failCgroupV1": False,
    "failSwapOn": False,
    "protectKernelDefaults": False,
    "oomScoreAdj": 0,
    "resolvConf": "",
    "imageGCHighThresholdPercent": 100,
    "imageGCLowThresholdPercent": 99,
    "evictionHard": {
        "memory.available": "100Mi",
        "nodefs.available": "1%",
        "nodefs.inodesFree": "1%",
        "imagefs.available": "1%",
    },
}
_WHY = {
    "cgroupDriver": "no systemd: cgroupfs, as containerd's SystemdCgroup = false",
    "cgroupRoot": "the run's own, made before and removed after (cgroups.py)",
    "failCgroupV1": "the machine is cgroup v1 (hybrid); kubelet 1.37 refuses v1 by default",
    "failSwapOn": "a shared machine may have swap on",
    "protectKernelDefaults": (
        "the kubelet sets kernel.panic, kernel.panic_on_oops and vm.overcommit_memory; "
        "they are saved before and restored after the run (hostchanges)"
    ),
    "oomScoreAdj": "lowering oom_score_adj needs CAP_SYS_RESOURCE, which a container lacks",
    "resolvConf": "pods never get the host's nameservers: only the cluster's DNS",
    "imageGCHighThresholdPercent": "images are imported, not pulled: never collect them",
    "imageGCLowThresholdPercent": "(with the high threshold at 100, below it)",
    "evictionHard": "a busy shared disk must not evict the node's pods",
}


def render(run: Layout) -> str:
    """The config file: a comment line of why above each unusual setting, then JSON-as-YAML."""
    why = "\n".join(f"# {key}: {reason}" for key, reason in _WHY.items())
    return f"{why}\n{json.dumps(config(run), indent=2)}\n"


def kubelet(run: Layout, stage: int) -> ComponentSpec:
    path = run.directory / "kubelet-config.yaml"
    path.write_text(render(run))
    argv = [
        str(run.tools["kubelet"]),
        f"--config={path}",
        f"--kubeconfig={run.directory / 'kubelet.kubeconfig'}",
        # Must be absolute: the kubelet looks up its mount point ("cannot find mount point").
        f"--root-dir={root_dir(run.directory).resolve()}",
        f"--cert-dir={run.directory / 'kubelet-pki'}",
        f"--node-ip={cv.REAL_NODE_IP}",
        f"--hostname-override={cv.REAL_NODE_NAME}",
        "--v=2",
    ]
    ready = f"http://127.0.0.1:{HEALTHZ_PORT}/healthz"
    return component("kubelet", stage, argv, ready, timeout=120)
