"""components/loki, rendered on production: Loki itself, the collector's third config layer
that sends logs there, and Grafana's Loki datasource with its trace link. Offline only: Loki
(AGPL) is never built or run here."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from kube_render import KUBERNETES, ROOT, WITH_LOKI, Rendering

LOKI = KUBERNETES / "components" / "loki" / "config"
COLLECTOR = ROOT / "config" / "collector"


@pytest.fixture
def loki(renderings: dict[str, Rendering]) -> Rendering:
    return renderings[WITH_LOKI]


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]["containers"][0]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def test_loki_runs_the_official_image_behind_its_service(loki: Rendering) -> None:
    statefulset = loki.find("StatefulSet", "loki", "observability")
    container = _container(statefulset)
    assert container["image"].startswith("grafana/loki:3.")
    assert "-config.file=/etc/loki/loki.yaml" in container["args"]
    service = loki.find("Service", "loki", "observability")
    assert [p["port"] for p in service["spec"]["ports"]] == [3100]
    assert [p["containerPort"] for p in container["ports"]] == [3100]
    data = loki.configmap("loki-config")["data"]["loki.yaml"]
    assert data == (LOKI / "loki.yaml").read_text()


def test_loki_stores_otlp_ids_as_structured_metadata() -> None:
    config = yaml.safe_load((LOKI / "loki.yaml").read_text())
    (schema,) = config["schema_config"]["configs"]
    assert (schema["store"], schema["schema"]) == ("tsdb", "v13")
    assert config["limits_config"]["allow_structured_metadata"] is True
    assert config["compactor"]["retention_enabled"] is True
    assert config["auth_enabled"] is False


def test_collector_sends_logs_to_loki_as_a_third_layer(loki: Rendering) -> None:
    collector = _container(loki.find("Deployment", "otel-collector"))
    assert collector["args"][-1] == "--config=/etc/otelcol/collector-loki.yaml"
    data = loki.configmap("otel-collector-config")["data"]
    assert data["collector-loki.yaml"] == (LOKI / "collector-loki.yaml").read_text()
    assert data["collector.yaml"] == (COLLECTOR / "collector.yaml").read_text()
    layer = yaml.safe_load(data["collector-loki.yaml"])
    endpoint = layer["exporters"]["otlp_http/loki"]["logs_endpoint"]
    assert endpoint.endswith("/otlp/v1/logs")
    assert _env(collector)["KANSOKU_LOKI_URL"] == "http://loki.observability.svc:3100"
    assert layer["exporters"]["otlp_http/loki"]["sending_queue"]["storage"] == "file_storage/queue"


def test_every_logs_exporter_of_the_layer_is_defined() -> None:
    """Lists replace when layered: the layer names every exporter of the logs pipeline,
    and each one is defined by some layer."""
    layers = [
        yaml.safe_load((COLLECTOR / "collector.yaml").read_text()),
        yaml.safe_load((COLLECTOR / "collector-kubernetes.yaml").read_text()),
        yaml.safe_load((LOKI / "collector-loki.yaml").read_text()),
    ]
    exporters = layers[-1]["service"]["pipelines"]["logs"]["exporters"]
    assert "otlp_http/loki" in exporters
    defined = {name for layer in layers for name in (layer.get("exporters") or {})}
    assert set(exporters) <= defined, sorted(set(exporters) - defined)


def test_grafana_gets_the_loki_datasource_with_the_trace_link(loki: Rendering) -> None:
    data = loki.configmap("grafana-datasources")["data"]
    assert set(data) == {"datasources.yaml", "loki.yaml"}
    # Grafana refuses a provisioning directory that defines one uid or name twice.
    every = [d for text in data.values() for d in yaml.safe_load(text)["datasources"]]
    for key in ("uid", "name"):
        values = [d[key] for d in every]
        assert len(values) == len(set(values)), (key, values)
    (source,) = yaml.safe_load(data["loki.yaml"])["datasources"]
    assert (source["uid"], source["type"], source["url"]) == ("loki", "loki", "${KANSOKU_LOKI_URL}")
    (field,) = source["jsonData"]["derivedFields"]
    assert (field["matcherType"], field["matcherRegex"]) == ("label", "trace_id")
    assert (field["datasourceUid"], field["url"]) == ("jaeger", "$${__value.raw}")
    grafana = _container(loki.find("Deployment", "grafana"))
    assert _env(grafana)["KANSOKU_LOKI_URL"] == "http://loki.observability.svc:3100"


def test_the_overlays_alone_have_no_loki(renderings: dict[str, Rendering]) -> None:
    for name in ("dev", "production"):
        names = {o["metadata"]["name"] for o in renderings[name].objects}
        assert "loki" not in names, name
