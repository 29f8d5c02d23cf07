"""The control plane's pieces that need no binary: certificates, flags, revisions."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from kansoku.cluster import apiserver, certs, history, processes
from kansoku.cluster.kwok import STAGES
from kansoku.cluster.layout import Layout
from kansoku.cluster.manifests import REAL_NODE_COMPONENT
from kansoku.cluster.operations import quantity
from kansoku.errors import StackError


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    directory = tmp_path_factory.mktemp("plane")
    kwok = directory / "bin" / "kwok"
    stages = kwok.parent / "kustomize" / "stage"
    for stage in STAGES:
        (stages / stage).parent.mkdir(parents=True, exist_ok=True)
        (stages / stage).write_text(f"kind: Stage\nmetadata: {{name: {Path(stage).stem}}}\n")
    names = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
    tools = {n: directory / "bin" / n for n in names} | {"kwok": kwok}
    ports = {
        n: 20000 + i
        for i, n in enumerate(
            ("etcd-client", "etcd-peer", "apiserver", "controller-manager", "scheduler")
        )
    }
    pki = certs.generate(directory / "pki")
    return Layout(directory, ports, pki, tools, directory / "admin.kubeconfig")


# Ranges handed out as data in the API (service and pod IPs): never an address to dial.
DATA_FLAGS = ("--service-cluster-ip-range=", "--cidr=", "--node-ip=")


def test_every_listener_and_address_is_loopback(layout: Layout) -> None:
    for spec in processes.specs(layout):
        flags = [a for a in spec.argv if not a.startswith(DATA_FLAGS)]
        addresses = re.findall(r"\b(\d+\.\d+\.\d+\.\d+)\b", " ".join(flags))
        if spec.name != "kwok":  # kwok listens on nothing and dials the API server only
            assert addresses, spec.name
        assert set(addresses) <= {"127.0.0.1"}, (spec.name, addresses)
        if spec.ready_url:
            assert spec.ready_url.split("/")[2].startswith("127.0.0.1:"), spec.name


def test_kwok_serves_nothing(layout: Layout) -> None:
    (kwok,) = [s for s in processes.specs(layout) if s.name == "kwok"]
    assert not [a for a in kwok.argv if a.startswith(("--server-address", "--node-port"))]
    assert "node-initialize" in (layout.directory / "kwok-stages.yaml").read_text()


def test_apiserver_enforces_pod_security_and_quotas(layout: Layout) -> None:
    argv = apiserver.apiserver(layout).argv
    plugins = next(a for a in argv if a.startswith("--enable-admission-plugins=")).split("=")[1]
    assert {"PodSecurity", "ResourceQuota", "LimitRanger"} <= set(plugins.split(","))
    assert "--authorization-mode=Node,RBAC" in argv
    defaults = apiserver.admission_config()["plugins"][0]["configuration"]["defaults"]
    assert defaults["enforce"] == defaults["warn"] == "restricted"


def test_certificates_chain_to_the_run_ca_and_serve_loopback_only(
    layout: Layout,
) -> None:
    pki = layout.pki
    for pair in (pki.apiserver, pki.controller_manager, pki.scheduler, pki.admin):
        out = subprocess.run(
            ["openssl", "verify", "-CAfile", str(pki.ca.cert), str(pair.cert)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, out.stderr
    text = subprocess.run(
        ["openssl", "x509", "-in", str(pki.apiserver.cert), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "IP Address:127.0.0.1" in text
    assert "IP Address:" not in text.replace("IP Address:127.0.0.1", "")
    subject = subprocess.run(
        ["openssl", "x509", "-in", str(pki.admin.cert), "-noout", "-subject"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "O=system:masters" in subject.replace(" = ", "=")


def test_a_fresh_run_makes_new_keys(tmp_path: Path, layout: Layout) -> None:
    again = certs.generate(tmp_path / "pki")
    assert again.ca.key.read_bytes() != layout.pki.ca.key.read_bytes()


def test_the_earlier_revision_is_an_ancestor_with_manifests(tmp_path: Path) -> None:
    commit, how = history.previous_revision()
    assert how
    root = history.locations.project_root()
    merged = subprocess.run(
        ["git", "-C", str(root), "merge-base", "--is-ancestor", commit, "HEAD"], check=False
    )
    assert merged.returncode == 0
    tree = history.export(commit, tmp_path)
    assert (tree / "overlays").is_dir()
    assert (tmp_path / "config").is_dir()


def test_an_extra_path_is_exported_only_where_the_revision_has_it(tmp_path: Path) -> None:
    head = history.previous_revision()[0]
    assert history.has_path("HEAD", "deploy/kubernetes")
    assert not history.has_path(head, "no/such/path")
    if history.has_path(head, REAL_NODE_COMPONENT):
        history.export(head, tmp_path, (REAL_NODE_COMPONENT,))
        assert (tmp_path / REAL_NODE_COMPONENT / "kustomization.yaml").is_file()
    with pytest.raises(StackError, match="git archive"):
        history.export(head, tmp_path / "missing", ("no/such/path",))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", 0.5),
        ("16", 16.0),
        ("12Gi", 12 * 1024.0**3),
        ("256Mi", 2.0**28),
        ("7542635n", 0.007542635),  # metrics-server's CPU usage
        ("250u", 0.00025),
    ],
)
def test_quantities(text: str, value: float) -> None:
    assert quantity(text) == pytest.approx(value)


def test_a_bad_quantity_is_refused() -> None:
    with pytest.raises(ValueError, match="not a resource quantity"):
        quantity("12 GiB")
