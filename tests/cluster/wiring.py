"""The local binaries wired to the simulated cluster, over loopback only.

Prometheus discovery (``promtool check service-discovery``: discovers and relabels, scrapes
nothing) and the collector's ``k8s_attributes`` processor read the API server with their own
ServiceAccount's token. The simulated pods' IPs only appear as data: in discovered labels,
and as the ``k8s.pod.ip`` attribute of a span sent to the local collector on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kansoku import locations
from kansoku.cluster.controlplane import ControlPlane
from kansoku.tools.lookup import resolve
from kansoku.verify.poll import poll_until


def token(plane: ControlPlane, namespace: str, account: str, into: Path) -> Path:
    """A short-lived token of ``account`` (the TokenRequest API), written to a file."""
    text = plane.kubectl("create", "token", account, "-n", namespace, "--duration=10m").stdout
    path = into / f"{account}.token"
    path.write_text(text.strip())
    path.chmod(0o600)
    return path


def discovery_config(plane: ControlPlane, token_file: Path, into: Path) -> Path:
    """The cluster's scrape config, each Kubernetes discovery pointed at the loopback API
    server (instead of the in-cluster address) with the given token."""
    source = locations.config_dir() / "prometheus" / "prometheus-kubernetes-scrape.yaml"
    config = yaml.safe_load(source.read_text())
    for job in config["scrape_configs"]:
        for sd in job.get("kubernetes_sd_configs", []):
            sd["api_server"] = plane.server
            sd["tls_config"] = {"ca_file": str(plane.ca)}
            sd["authorization"] = {"credentials_file": str(token_file)}
    path = into / "prometheus-discovery.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def discover(config: Path, job: str, *, seconds: int = 3) -> list[dict[str, Any]]:
    """``promtool check service-discovery``: the targets of ``job`` after relabelling.

    promtool always waits its whole ``--timeout`` before it answers, so the caller asks for
    a short round and repeats it until the targets it expects are there.
    """
    promtool = resolve("promtool").path
    proc = subprocess.run(
        [str(promtool), "check", "service-discovery", f"--timeout={seconds}s", str(config), job],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    targets: list[dict[str, Any]] = json.loads(proc.stdout)
    return targets


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def collector_kubeconfig(plane: ControlPlane, token_file: Path, into: Path) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "c",
                "cluster": {"server": plane.server, "certificate-authority": str(plane.ca)},
            }
        ],
        "users": [{"name": "otel-collector", "user": {"tokenFile": str(token_file)}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "otel-collector"}}],
        "current-context": "c",
    }
    path = into / "collector.kubeconfig"
    path.write_text(json.dumps(config))
    return path


def collector_config(port: int, output: Path, into: Path) -> Path:
    """The cluster's ``k8s_attributes`` settings (from collector-kubernetes.yaml), reading
    the API server through a kubeconfig; OTLP in on loopback, spans out to a file."""
    cluster = yaml.safe_load(
        (locations.config_dir() / "collector" / "collector-kubernetes.yaml").read_text()
    )
    attributes = {**cluster["processors"]["k8s_attributes"], "auth_type": "kubeConfig"}
    config = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{port}"}}}},
        "processors": {"k8s_attributes": attributes},
        "exporters": {"file": {"path": str(output), "flush_interval": "100ms"}},
        "service": {
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["k8s_attributes"],
                    "exporters": ["file"],
                }
            },
        },
    }
    path = into / "collector.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def start_collector(config: Path, kubeconfig: Path, log: Path) -> subprocess.Popen[bytes]:
    binary = resolve("otelcol-kansoku").path
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(binary), f"--config={config}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={"KUBECONFIG": str(kubeconfig), "PATH": "/usr/bin:/bin"},
        )


def send_span(port: int, pod_ip: str, name: str) -> None:
    """One span whose resource names a simulated pod only by its IP."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource({"service.name": name, "k8s.pod.ip": pod_ip}))
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True, timeout=5)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("kansoku.cluster-test").start_as_current_span(name):
        pass
    provider.shutdown()


def exported_resources(output: Path) -> list[dict[str, Any]]:
    """Resource attributes of every span batch the file exporter wrote."""
    if not output.exists():
        return []
    resources = []
    for line in output.read_text().splitlines():
        for batch in json.loads(line).get("resourceSpans", []):
            attrs = batch.get("resource", {}).get("attributes", [])
            resources.append({a["key"]: a["value"].get("stringValue") for a in attrs})
    return resources


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    def listening() -> bool | None:
        if proc.poll() is not None:
            pytest.fail(f"the collector exited with {proc.returncode} while starting")
        with socket.socket() as sock:
            return True if sock.connect_ex(("127.0.0.1", port)) == 0 else None

    poll_until(listening, what=f"the collector listening on 127.0.0.1:{port}", timeout=timeout)
