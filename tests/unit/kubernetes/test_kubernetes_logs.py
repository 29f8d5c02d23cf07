"""VictoriaLogs in the cluster and Grafana's way to it: the StatefulSet and its settings, the
volume per overlay, the plugin installed without a writable root, and the datasources that
link traces, logs and metrics."""

from __future__ import annotations

import re
from typing import Any

import quantities
import yaml
from kube_render import KUBERNETES, ROOT, Rendering

DATASOURCES = ROOT / "config" / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
PLUGIN = "victoriametrics-logs-datasource"
# Retention per overlay (the base keeps a week, as local mode does).
RETENTION = {"dev": "2d", "production": "30d"}


def _container(obj: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    containers = obj["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if name is None or c["name"] == name)


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _setting(rendering: Rendering, container: dict[str, Any], variable: str) -> str:
    ref = _env(container)[variable]["configMapKeyRef"]
    return str(rendering.find("ConfigMap", ref["name"], "observability")["data"][ref["key"]])


def _victorialogs(rendering: Rendering) -> tuple[dict[str, Any], dict[str, Any]]:
    statefulset = rendering.find("StatefulSet", "victorialogs", "observability")
    return statefulset, _container(statefulset, "victorialogs")


def test_victorialogs_is_one_replica_of_the_pinned_image(rendering: Rendering) -> None:
    statefulset, container = _victorialogs(rendering)
    assert statefulset["spec"]["replicas"] == 1, "single-node VictoriaLogs has one writer"
    assert container["image"] == "victoriametrics/victoria-logs:v1.52.1"
    assert "-storageDataPath=/victoria-logs-data" in container["args"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts["/victoria-logs-data"] == "data"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"


def test_victorialogs_retention_is_a_setting_per_overlay(rendering: Rendering) -> None:
    _, container = _victorialogs(rendering)
    assert "-retentionPeriod=$(VICTORIALOGS_RETENTION)" in container["args"]
    expected = RETENTION.get(rendering.name.split("+")[0], "7d")
    assert _setting(rendering, container, "VICTORIALOGS_RETENTION") == expected


def _data_volume_bytes(statefulset: dict[str, Any]) -> int:
    for claim in statefulset["spec"].get("volumeClaimTemplates", []):
        if claim["metadata"]["name"] == "data":
            return quantities.size(claim["spec"]["resources"]["requests"]["storage"])
    volumes = statefulset["spec"]["template"]["spec"]["volumes"]
    data = next(v for v in volumes if v["name"] == "data")
    return quantities.size(data["emptyDir"]["sizeLimit"])


def test_victorialogs_disk_ceiling_is_below_its_volume(rendering: Rendering) -> None:
    """Past the ceiling VictoriaLogs drops its oldest days; past the volume it would stop."""
    statefulset, container = _victorialogs(rendering)
    assert "-retention.maxDiskSpaceUsageBytes=$(VICTORIALOGS_MAX_DISK)" in container["args"]
    ceiling = quantities.flag_size(_setting(rendering, container, "VICTORIALOGS_MAX_DISK"))
    volume = _data_volume_bytes(statefulset)
    assert 0.5 * volume <= ceiling <= 0.95 * volume, (rendering.name, ceiling, volume)


def test_victorialogs_data_is_a_claim_in_production_only(
    renderings: dict[str, Rendering],
) -> None:
    statefulset, _ = _victorialogs(renderings["production"])
    volumes = statefulset["spec"]["template"]["spec"].get("volumes", [])
    assert not [v for v in volumes if v["name"] == "data"], "the claim replaces the emptyDir"
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    dev, _ = _victorialogs(renderings["dev"])
    assert "volumeClaimTemplates" not in dev["spec"]
    assert _data_volume_bytes(dev) < _data_volume_bytes(statefulset)


def test_victorialogs_service_reaches_the_pod(rendering: Rendering) -> None:
    service = rendering.find("Service", "victorialogs", "observability")
    statefulset, container = _victorialogs(rendering)
    assert statefulset["spec"]["serviceName"] == "victorialogs"
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert (port["port"], named[port["targetPort"]]) == (9428, 9428)


def test_grafana_installs_the_plugin_into_an_empty_dir(rendering: Rendering) -> None:
    grafana = rendering.find("Deployment", "grafana", "observability")
    spec = grafana["spec"]["template"]["spec"]
    main = _container(grafana, "grafana")
    (init,) = spec["initContainers"]
    assert init["image"] == main["image"], "the plugin installer is Grafana's own cli"
    command = init["command"]
    assert command[:2] == ["grafana", "cli"]
    assert command[-3:-1] == ["install", PLUGIN]
    assert re.fullmatch(r"\d+\.\d+\.\d+", command[-1]), "pin the plugin's version"
    plugins_dir = _env(main)["GF_PATHS_PLUGINS"]
    # Nothing else writes there: Grafana's background preinstall is off.
    assert _env(main)["GF_PLUGINS_PREINSTALL_DISABLED"] == "true"
    assert f"--pluginsDir={plugins_dir}" in command
    init_mounts = {m["mountPath"]: m for m in init["volumeMounts"]}
    main_mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
    assert not init_mounts[plugins_dir].get("readOnly", False)
    assert main_mounts[plugins_dir]["readOnly"] is True
    assert init_mounts[plugins_dir]["name"] == main_mounts[plugins_dir]["name"]
    volume = next(v for v in spec["volumes"] if v["name"] == main_mounts[plugins_dir]["name"])
    assert volume["emptyDir"]["sizeLimit"]


def _sources(rendering: Rendering) -> dict[str, dict[str, Any]]:
    text = rendering.configmap("grafana-datasources")["data"]["datasources.yaml"]
    return {d["uid"]: d for d in yaml.safe_load(text)["datasources"]}


def test_logs_datasource_links_to_jaeger_and_back(rendering: Rendering) -> None:
    sources = _sources(rendering)
    logs = sources["victorialogs"]
    assert logs["type"] == PLUGIN
    (field,) = logs["jsonData"]["derivedFields"]
    assert (field["matcherType"], field["matcherRegex"]) == ("label", "trace_id")
    assert field["datasourceUid"] == "jaeger"
    # `$$` is Grafana's escape: the link receives the literal ${__value.raw}.
    assert field["url"] == "$${__value.raw}"
    to_logs = sources["jaeger"]["jsonData"]["tracesToLogsV2"]
    assert to_logs["datasourceUid"] == "victorialogs"
    assert to_logs["customQuery"] is True
    assert to_logs["query"] == 'trace_id:="$${__trace.traceId}"'


def test_every_variable_of_the_datasources_is_set_for_grafana(rendering: Rendering) -> None:
    """Grafana expands ${VAR} in provisioning files; an unset one becomes an empty URL."""
    lines = DATASOURCES.read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    wanted = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)\}", text))
    assert {"KANSOKU_PROMETHEUS_URL", "KANSOKU_VICTORIALOGS_URL"} <= wanted
    env = _env(_container(rendering.find("Deployment", "grafana"), "grafana"))
    missing = sorted(wanted - set(env))
    assert not missing, f"{rendering.name}: Grafana lacks {missing}"
    assert env["KANSOKU_VICTORIALOGS_URL"] == "http://victorialogs.observability.svc:9428"


def test_base_keeps_a_week_of_logs() -> None:
    base = yaml.safe_load((KUBERNETES / "base" / "kustomization.yaml").read_text())
    settings = next(g for g in base["configMapGenerator"] if g["name"] == "victorialogs-settings")
    assert "retention=7d" in settings["literals"]


def test_collector_and_grafana_reach_victorialogs_through_its_service(rendering: Rendering) -> None:
    service = rendering.find("Service", "victorialogs", "observability")
    url = f"http://{service['metadata']['name']}.observability.svc:{service['spec']['ports'][0]['port']}"
    for name in ("otel-collector", "grafana"):
        container = _container(rendering.find("Deployment", name), name)
        assert _env(container)["KANSOKU_VICTORIALOGS_URL"] == url, name


COLLECTOR = ROOT / "config" / "collector"
# Values that change per process or per record: as stream fields they would open a stream per
# restart or per record (VictoriaLogs' cost grows with the number of streams).
UNBOUNDED = {"service.instance.id", "process.pid", "host.name", "k8s.pod.uid", "trace_id"}


def _stream_fields(*layers: str) -> list[str]:
    header = ""
    for name in layers:
        config = yaml.safe_load((COLLECTOR / name).read_text())
        exporter = (config.get("exporters") or {}).get("otlp_http/victorialogs") or {}
        header = (exporter.get("headers") or {}).get("VL-Stream-Fields", header)
    return [f.strip() for f in header.split(",")]


def test_cluster_streams_are_service_namespace_and_pod() -> None:
    local = _stream_fields("collector.yaml")
    cluster = _stream_fields("collector.yaml", "collector-kubernetes.yaml")
    assert local == ["service.name"]
    assert cluster == ["service.name", "k8s.namespace.name", "k8s.pod.name"]
    layer = yaml.safe_load((COLLECTOR / "collector-kubernetes.yaml").read_text())
    extracted = set(layer["processors"]["k8s_attributes"]["extract"]["metadata"])
    assert set(cluster) - set(local) <= extracted, "a stream field nothing sets"
    assert not UNBOUNDED & set(cluster)
