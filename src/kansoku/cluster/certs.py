"""Certificates for one run of the control plane, made with openssl and never reused.

One CA signs the API server's serving certificate (for 127.0.0.1 only), the serving
certificates of the controller manager and the scheduler, and an admin client certificate
(group ``system:masters``). A separate key pair signs ServiceAccount tokens.

For a node with real containers (``Node``), the API server's certificate also names the node's
address and the in-cluster names of the ``kubernetes`` Service (pods dial it), and the kubelet
gets a client certificate of its node identity and a serving certificate for the node's address
(the API server checks it for ``logs``, ``exec`` and ``port-forward``).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kansoku.errors import ToolError

_DAYS = "2"  # a run lasts minutes; a short life keeps a leaked file harmless
_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Certificates:
    ca: Pair
    apiserver: Pair
    controller_manager: Pair
    scheduler: Pair
    admin: Pair
    service_account_key: Path
    service_account_pub: Path
    kubelet: Pair | None = None  # client: system:node:<name> in system:nodes
    kubelet_serving: Pair | None = None
    # The aggregation layer's client (front-proxy-client) and metrics-server's serving pair.
    front_proxy: Pair | None = None
    metrics_server: Pair | None = None


@dataclass(frozen=True)
class Node:
    """The one node of a cluster with real containers: its name and addresses."""

    name: str
    ip: str  # the node's address inside its network namespace
    service_ip: str  # the ``kubernetes`` Service's ClusterIP


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ToolError("openssl is needed to make the control plane's certificates")
    proc = subprocess.run(
        [openssl, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    if proc.returncode != 0:
        raise ToolError(f"openssl {args[0]} failed: {proc.stderr.strip()}")


def _leaf(directory: Path, ca: Pair, name: str, subject: str, extensions: str) -> Pair:
    """A key and a certificate signed by ``ca``, with the given X.509 v3 extensions."""
    pair = Pair(directory / f"{name}.crt", directory / f"{name}.key")
    csr = directory / f"{name}.csr"
    ext = directory / f"{name}.ext"
    ext.write_text(extensions)
    _openssl(
        "req",
        "-new",
        *_EC,
        "-keyout",
        str(pair.key),
        "-out",
        str(csr),
        "-subj",
        subject,
        cwd=directory,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca.cert),
        "-CAkey",
        str(ca.key),
        "-CAcreateserial",
        "-days",
        _DAYS,
        "-extfile",
        str(ext),
        "-out",
        str(pair.cert),
        cwd=directory,
    )
    return pair


_SERVER_USAGE = (
    "basicConstraints=critical,CA:FALSE\n"
    "keyUsage=critical,digitalSignature,keyEncipherment\n"
    "extendedKeyUsage=serverAuth\n"
)


def _server(*alt_names: str) -> str:
    """Serving-certificate extensions: loopback always, plus ``alt_names``."""
    names = ",".join(("IP:127.0.0.1", "DNS:localhost", *alt_names))
    return f"{_SERVER_USAGE}subjectAltName={names}\n"


def _apiserver_names(node: Node) -> list[str]:
    service = "kubernetes.default.svc"
    dns = ("kubernetes", "kubernetes.default", service, f"{service}.cluster.local")
    return [f"IP:{node.ip}", f"IP:{node.service_ip}", *(f"DNS:{d}" for d in dns)]


_CLIENT = (
    "basicConstraints=critical,CA:FALSE\n"
    "keyUsage=critical,digitalSignature,keyEncipherment\n"
    "extendedKeyUsage=clientAuth\n"
)


def generate(directory: Path, node: Node | None = None) -> Certificates:
    """Make every certificate and key of one run under ``directory`` (and a node's)."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    ca = Pair(directory / "ca.crt", directory / "ca.key")
    _openssl(
        "req",
        "-x509",
        *_EC,
        "-keyout",
        str(ca.key),
        "-out",
        str(ca.cert),
        "-days",
        _DAYS,
        "-subj",
        "/CN=kansoku-cluster-ca",
        cwd=directory,
    )
    sa_key, sa_pub = directory / "service-account.key", directory / "service-account.pub"
    _openssl(
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        str(sa_key),
        cwd=directory,
    )
    _openssl("pkey", "-in", str(sa_key), "-pubout", "-out", str(sa_pub), cwd=directory)
    names = _apiserver_names(node) if node else []
    return Certificates(
        ca=ca,
        apiserver=_leaf(directory, ca, "apiserver", "/CN=kube-apiserver", _server(*names)),
        controller_manager=_leaf(
            directory, ca, "controller-manager", "/CN=kube-controller-manager", _server()
        ),
        scheduler=_leaf(directory, ca, "scheduler", "/CN=kube-scheduler", _server()),
        admin=_leaf(directory, ca, "admin", "/O=system:masters/CN=kansoku-admin", _CLIENT),
        service_account_key=sa_key,
        service_account_pub=sa_pub,
        kubelet=_kubelet_client(directory, ca, node) if node else None,
        kubelet_serving=_kubelet_serving(directory, ca, node) if node else None,
        front_proxy=_leaf(directory, ca, "front-proxy", "/CN=front-proxy-client", _CLIENT)
        if node
        else None,
        metrics_server=_metrics_server(directory, ca, node) if node else None,
    )


def _metrics_server(directory: Path, ca: Pair, node: Node) -> Pair:
    names = (f"IP:{node.ip}", "DNS:metrics-server.kube-system.svc")
    return _leaf(directory, ca, "metrics-server", "/CN=metrics-server", _server(*names))


def _kubelet_client(directory: Path, ca: Pair, node: Node) -> Pair:
    subject = f"/O=system:nodes/CN=system:node:{node.name}"  # what the Node authorizer wants
    return _leaf(directory, ca, "kubelet", subject, _CLIENT)


def _kubelet_serving(directory: Path, ca: Pair, node: Node) -> Pair:
    names = (f"IP:{node.ip}", f"DNS:{node.name}")
    return _leaf(directory, ca, "kubelet-serving", f"/CN={node.name}", _server(*names))
