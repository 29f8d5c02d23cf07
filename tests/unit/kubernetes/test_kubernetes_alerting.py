"""Alertmanager in the cluster: one replica in dev, three gossiping replicas with claims and
a PodDisruptionBudget in production; its configuration and the receivers' secret files where
the config looks for them; Prometheus sending to every replica with the external labels set;
the NetworkPolicies between the peers; Grafana's Alertmanager datasource."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from kube_render import ROOT, Rendering

from kansoku.cluster.networkpolicy import Endpoint, allowed, namespace_labels

ALERTMANAGER = ROOT / "config" / "alertmanager"


def _statefulset(rendering: Rendering) -> dict[str, Any]:
    return rendering.find("StatefulSet", "alertmanager", "observability")


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]["containers"][0]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _replica_names(rendering: Rendering) -> list[str]:
    """The stable DNS name of every replica, through the governing Service."""
    statefulset = _statefulset(rendering)
    service = rendering.find("Service", statefulset["spec"]["serviceName"], "observability")
    assert service["spec"]["clusterIP"] == "None", "peers need per-pod names: headless"
    return [
        f"alertmanager-{i}.{service['metadata']['name']}.observability.svc"
        for i in range(statefulset["spec"]["replicas"])
    ]


def _flags(container: dict[str, Any], name: str) -> list[str]:
    return [a.split("=", 1)[1] for a in container["args"] if a.startswith(f"--{name}=")]


def test_dev_runs_one_alertmanager_without_gossip(renderings: dict[str, Rendering]) -> None:
    dev = renderings["dev"]
    container = _container(_statefulset(dev))
    assert _statefulset(dev)["spec"]["replicas"] == 1
    assert _flags(container, "cluster.listen-address") == [""], "an empty address turns it off"
    assert not _flags(container, "cluster.peer")


@pytest.mark.parametrize("name", ["production", "production+servicemonitors"])
def test_production_runs_three_peers_that_find_each_other(
    renderings: dict[str, Rendering], name: str
) -> None:
    rendering = renderings[name]
    statefulset = _statefulset(rendering)
    container = _container(statefulset)
    assert statefulset["spec"]["replicas"] == 3
    peers = {p.rsplit(":", 1)[0] for p in _flags(container, "cluster.peer")}
    assert peers == set(_replica_names(rendering))
    assert _flags(container, "cluster.listen-address") == ["0.0.0.0:9094"]
    assert _flags(container, "cluster.advertise-address") == ["$(POD_IP):9094"]
    assert _env(container)["POD_IP"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    ports = {(p["containerPort"], p["protocol"]) for p in container["ports"]}
    assert {(9094, "TCP"), (9094, "UDP")} <= ports
    service = rendering.find("Service", "alertmanager", "observability")
    assert {(p["port"], p["protocol"]) for p in service["spec"]["ports"]} >= ports
    pdb = rendering.find("PodDisruptionBudget", "alertmanager", "observability")
    assert pdb["spec"]["maxUnavailable"] == 1
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert statefulset["spec"]["template"]["spec"]["topologySpreadConstraints"]


def test_production_args_are_the_base_args_with_gossip(renderings: dict[str, Rendering]) -> None:
    """The production patch repeats the base's args (a list is replaced whole): nothing of
    the base may be lost on the way."""
    dev = _container(_statefulset(renderings["dev"]))["args"]
    production = _container(_statefulset(renderings["production"]))["args"]
    kept = [a for a in dev if not a.startswith("--cluster.")]
    assert [a for a in production if not a.startswith("--cluster.")] == kept


def test_prometheus_sends_to_every_replica(rendering: Rendering) -> None:
    targets = json.loads(rendering.configmap("prometheus-targets")["data"]["alertmanager.json"])
    listed = sorted(t for group in targets for t in group["targets"])
    assert listed == sorted(f"{name}:9093" for name in _replica_names(rendering))


def test_every_alert_carries_cluster_and_environment(rendering: Rendering) -> None:
    container = _container(rendering.find("Deployment", "prometheus", "observability"))
    env = _env(container)
    values = {}
    for variable in ("KANSOKU_CLUSTER", "KANSOKU_ENVIRONMENT"):
        ref = env[variable]["configMapKeyRef"]
        values[variable] = rendering.find("ConfigMap", ref["name"])["data"][ref["key"]]
        assert values[variable], f"{variable} empty: Prometheus would drop the label"
    expected = "production" if rendering.name.startswith("production") else "development"
    assert values["KANSOKU_ENVIRONMENT"] == expected


def _projected(statefulset: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """path -> (source name, optional) of the config volume."""
    volumes = statefulset["spec"]["template"]["spec"]["volumes"]
    config = next(v for v in volumes if v["name"] == "config")
    out = {}
    for source in config["projected"]["sources"]:
        ((kind, body),) = source.items()
        for item in body["items"]:
            out[item["path"]] = (f"{kind}/{body['name']}", bool(body.get("optional")))
    return out


def _file_fields(node: Any) -> set[str]:
    """Every `*_file` value of an Alertmanager config (URLs and credentials read from files)."""
    if isinstance(node, dict):
        found = {v for k, v in node.items() if k.endswith("_file") and isinstance(v, str)}
        return found.union(*(_file_fields(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_file_fields(v) for v in node))
    return set()


def test_config_templates_and_secrets_are_where_the_config_looks(rendering: Rendering) -> None:
    statefulset = _statefulset(rendering)
    container = _container(statefulset)
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    # Relative paths of the config resolve against it and against the working directory.
    assert container["workingDir"] == mount["mountPath"]
    assert f"--config.file={mount['mountPath']}/alertmanager.yaml" in container["args"]
    projected = _projected(statefulset)
    config = yaml.safe_load((ALERTMANAGER / "alertmanager.yaml").read_text())
    assert config["templates"] == ["templates/*.tmpl"]
    for template in (ALERTMANAGER / "templates").glob("*.tmpl"):
        assert projected[f"templates/{template.name}"][0].startswith("configMap/")
    required = _file_fields(config)
    assert required, "the receivers read their URLs from files"
    for path in required:
        kind, optional = projected[path]
        assert (kind, optional) == ("secret/alertmanager-receivers", False), path
    for example in sorted((ALERTMANAGER / "examples").glob("*.yaml")):
        for path in _file_fields(yaml.safe_load(example.read_text())):
            assert path in projected, f"{example.name}: {path} is not mounted"


def test_receiver_secrets_are_supplied_never_rendered(rendering: Rendering) -> None:
    assert not rendering.of_kind("Secret")
    text = rendering.configmap("alertmanager-config")["data"]["alertmanager.yaml"]
    assert not re.search(r"(?m)^\s*(api_url|url|routing_key|auth_password):", text)


def test_grafana_has_the_alertmanager_datasource(rendering: Rendering) -> None:
    text = rendering.configmap("grafana-datasources")["data"]["datasources.yaml"]
    sources = {d["uid"]: d for d in yaml.safe_load(text)["datasources"]}
    source = sources["alertmanager"]
    assert (source["type"], source["jsonData"]["implementation"]) == ("alertmanager", "prometheus")
    grafana = _container(rendering.find("Deployment", "grafana"))
    assert _env(grafana)["KANSOKU_ALERTMANAGER_URL"] == "http://alertmanager.observability.svc:9093"


def test_peers_gossip_with_each_other_and_nobody_else(renderings: dict[str, Rendering]) -> None:
    """The matrix has one endpoint per workload; here two replicas of Alertmanager."""
    rendering = renderings["production"]
    policies = rendering.of_kind("NetworkPolicy")
    ns = namespace_labels(rendering.objects)
    labels = _statefulset(rendering)["spec"]["template"]["metadata"]["labels"]
    one = Endpoint("alertmanager-0", "observability", labels, (), "10.244.2.1")
    two = Endpoint("alertmanager-1", "observability", labels, (), "10.244.2.2")
    other = Endpoint("grafana", "observability", {"app.kubernetes.io/name": "grafana"}, (), "1.1")
    for port in ("9094/TCP", "9094/UDP"):
        assert allowed("out", one, two, port, policies, ns)
        assert allowed("in", two, one, port, policies, ns)
        assert not allowed("in", two, other, port, policies, ns)
