"""The real node's pieces that need no binary and change nothing: preflight, configs, records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kansoku import conventions as cv
from kansoku.cluster import certs, cni, containerd, coredns, kubelet, kubeproxy, preflight
from kansoku.cluster.hostchanges import HostChanges
from kansoku.cluster.layout import Layout
from kansoku.cluster.netns import Namespace, new_name
from kansoku.cluster.noderecord import NodeRecord
from kansoku.errors import NodePreflightError, NotRunningError

ALL_CAPS = (1 << 41) - 1


def _probes(**overrides: object) -> preflight.Probes:
    fine: dict[str, object] = {
        "euid": lambda: 0,
        "capabilities": lambda: ALL_CAPS,
        "filesystems": lambda: "nodev\toverlay\n",
        "kernel_module": lambda name: True,
        "which": lambda name: f"/usr/bin/{name}",
        "exists": lambda path: True,
    }
    return preflight.Probes(**{**fine, **overrides})  # type: ignore[arg-type]


def test_a_machine_with_everything_passes() -> None:
    assert preflight.missing(_probes()) == []
    preflight.check(_probes())


def test_preflight_names_each_missing_thing() -> None:
    no_admin = ALL_CAPS & ~(1 << preflight.CAP_SYS_ADMIN) & ~(1 << preflight.CAP_NET_ADMIN)
    probes = _probes(
        euid=lambda: 1000,
        capabilities=lambda: no_admin,
        filesystems=lambda: "nodev\tproc\n",
        kernel_module=lambda name: False,
        exists=lambda path: path != "/usr/sbin/runc",
    )
    with pytest.raises(NodePreflightError) as caught:
        preflight.check(probes)
    message = str(caught.value)
    for needed in ("root", "CAP_SYS_ADMIN", "CAP_NET_ADMIN", "overlayfs", "bridge", "runc"):
        assert needed in message
    assert "install-node-packages.sh" in message
    assert "nothing was changed" in message


def test_a_bridge_without_netfilter_is_named() -> None:
    probes = _probes(
        kernel_module=lambda name: name != "br_netfilter",
        exists=lambda path: path != preflight.BRIDGE_NETFILTER,
    )
    (lack,) = preflight.missing(probes)
    assert "br_netfilter" in lack


def test_only_net_admin_missing_is_named_alone() -> None:
    probes = _probes(capabilities=lambda: ALL_CAPS & ~(1 << preflight.CAP_NET_ADMIN))
    assert preflight.missing(probes) == ["the CAP_NET_ADMIN capability"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    directory = tmp_path_factory.mktemp("node")
    node = certs.Node(cv.REAL_NODE_NAME, cv.REAL_NODE_IP, cv.REAL_NODE_SERVICE_IP)
    pki = certs.generate(directory / "pki", node)
    tools = {name: directory / "bin" / name for name in ("kubelet", "kube-proxy", "containerd")}
    tools["coredns"] = directory / "bin" / "coredns"
    return Layout(directory, {}, pki, tools, directory / "k", node_ip=cv.REAL_NODE_IP)


def test_the_kubelet_is_configured_for_cgroup_v1_without_sys_resource(run: Layout) -> None:
    config = kubelet.config(run)
    assert config["failCgroupV1"] is False
    assert config["cgroupDriver"] == "cgroupfs"
    assert config["oomScoreAdj"] == 0
    assert config["resolvConf"] == ""
    assert (config["imageGCHighThresholdPercent"], config["imageGCLowThresholdPercent"]) == (
        100,
        99,
    )
    rendered = kubelet.render(run)
    for key in kubelet._UNUSUAL:
        assert f"# {key}: " in rendered, f"no reason given for {key}"
    argv = kubelet.kubelet(run, stage=3).argv
    root = next(a for a in argv if a.startswith("--root-dir=")).split("=", 1)[1]
    assert Path(root).is_absolute()


def test_containerd_never_lowers_oom_score_and_pins_the_local_pause(run: Layout) -> None:
    text = containerd.config(run.directory)
    assert "restrict_oom_score_adj = true" in text
    assert f'sandbox = "{cv.REAL_NODE_PAUSE_IMAGE}"' in text
    assert "SystemdCgroup = false" in text
    assert str(run.directory) in text.split("[grpc]")[1].splitlines()[1]


def test_pods_are_never_masqueraded_and_keep_leases_in_the_run(run: Layout) -> None:
    plugin = cni.conflist(run.directory)["plugins"][0]
    assert plugin["ipMasq"] is False
    assert plugin["ipam"]["dataDir"].startswith(str(run.directory))


def test_kube_proxy_leaves_the_machines_conntrack_settings_alone(run: Layout) -> None:
    config = kubeproxy.config(run)
    assert config["conntrack"]["maxPerCore"] == 0
    assert config["oomScoreAdj"] == 0


def test_cluster_dns_forwards_nothing_outside(run: Layout) -> None:
    corefile = coredns.corefile(run)
    assert "forward" not in corefile
    docs = [json.loads(d) for d in coredns.service_manifest().split("\n---\n")]
    assert docs[0]["spec"]["clusterIP"] == cv.REAL_NODE_DNS_IP
    assert docs[1]["endpoints"][0]["addresses"] == [cv.REAL_NODE_IP]


def test_the_certificates_name_the_node(run: Layout) -> None:
    import subprocess

    def sans(path: Path) -> str:
        return subprocess.run(
            ["openssl", "x509", "-in", str(path), "-noout", "-ext", "subjectAltName"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert f"IP Address:{cv.REAL_NODE_IP}" in sans(run.pki.apiserver.cert)
    assert f"IP Address:{cv.REAL_NODE_SERVICE_IP}" in sans(run.pki.apiserver.cert)
    assert run.pki.kubelet_serving is not None
    assert f"IP Address:{cv.REAL_NODE_IP}" in sans(run.pki.kubelet_serving.cert)


def test_processes_enter_only_the_network_namespace() -> None:
    namespace = Namespace(new_name())
    assert namespace.name.startswith(cv.REAL_NODE_NETNS_PREFIX)
    assert namespace.name != new_name()
    argv = namespace.argv(["kubelet", "--v=2"])
    assert argv[:3] == ["nsenter", f"--net=/run/netns/{namespace.name}", "--"]
    assert argv[3:] == ["kubelet", "--v=2"]


def test_the_record_survives_a_round_trip(tmp_path: Path) -> None:
    host = HostChanges(sysctls={"kernel/panic": "1"}, created_paths=["/var/lib/kubelet"])
    record = NodeRecord(str(tmp_path), "kansoku-node-x", 42, "/s.sock", "/bin/ctr", host)
    record.save()
    again = NodeRecord.load(tmp_path)
    assert again == record
    with pytest.raises(NotRunningError, match="no node was started"):
        NodeRecord.load(tmp_path / "elsewhere")
