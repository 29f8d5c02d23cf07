"""What each component is started with: one copy of config, this host's values in env/flags."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import ConfigError
from kansoku.stack import components
from kansoku.stack.components import prometheus
from kansoku.stack.ports import resolve_ports

BINARIES = {b: Path(f"/opt/bin/{b}") for b in components.needed_binaries()}


def _settings(tmp_path: Path, **kwargs: object) -> components.StackSettings:
    ports = resolve_ports(["prometheus=19090", "otlp-grpc=14000"], environ={})
    return components.StackSettings(data_dir=tmp_path, ports=ports, **kwargs)  # type: ignore[arg-type]


def test_components_are_in_dependency_order_and_start_by_stage(tmp_path: Path) -> None:
    specs = components.build_specs(_settings(tmp_path), BINARIES)
    stages = {s.name: s.stage for s in specs}
    order = [s.name for s in specs]
    # What a component sends to comes before it: alerts flow receiver <- Alertmanager <-
    # Prometheus; telemetry shop -> collector -> stores.
    assert order[0] == cv.CONSOLE  # first, so its URL is printed first
    assert order.index(cv.ALERT_RECEIVER) < order.index(cv.ALERTMANAGER)
    assert order.index(cv.ALERTMANAGER) < order.index(cv.PROMETHEUS)
    assert order.index(cv.PROMETHEUS) < order.index(cv.COLLECTOR) < order.index(cv.SHOP_BACKEND)
    assert order.index(cv.JAEGER) < order.index(cv.COLLECTOR)
    assert order.index(cv.VICTORIALOGS) < order.index(cv.COLLECTOR)
    assert order[-3:] == [cv.SHOP_BACKEND, cv.SHOP_FRONTEND, cv.LOADGEN]
    # The shop starts with the stores; the collector once the stores answer; load last.
    assert {name: stages[name] for name in (cv.PROMETHEUS, cv.COLLECTOR, cv.LOADGEN)} == {
        cv.PROMETHEUS: 0,
        cv.COLLECTOR: 1,
        cv.LOADGEN: 2,
    }
    assert stages[cv.ALERTMANAGER] == stages[cv.ALERT_RECEIVER] == stages[cv.SHOP_BACKEND] == 0
    assert stages[cv.VICTORIALOGS] == stages[cv.JAEGER] == 0
    core = components.build_specs(_settings(tmp_path, services=False), BINARIES)
    assert [s.name for s in core] == [
        cv.CONSOLE,
        cv.ALERT_RECEIVER,
        cv.ALERTMANAGER,
        cv.PROMETHEUS,
        cv.JAEGER,
        cv.VICTORIALOGS,
        cv.COLLECTOR,
    ]


def test_every_port_key_belongs_to_exactly_one_started_component(tmp_path: Path) -> None:
    # With every optional store (OpenSearch), so its ports are counted too.
    settings = _settings(tmp_path, loadgen=False, jaeger_storage="opensearch")
    binaries = {
        **BINARIES,
        cv.OPENSEARCH: Path("/opt/opensearch/bin/opensearch"),
    }
    specs = components.build_specs(settings, binaries)
    keys = [k for s in specs for k in s.port_keys]
    assert sorted(keys) == sorted(p.key for p in cv.PORTS)


def test_components_read_the_committed_config_files(tmp_path: Path) -> None:
    specs = {s.name: s for s in components.build_specs(_settings(tmp_path), BINARIES)}
    config = locations.config_dir()
    assert str(config / "collector" / "collector.yaml") in specs[cv.COLLECTOR].argv
    assert str(config / "jaeger" / "jaeger.yaml") in specs[cv.JAEGER].argv
    assert "collector-debug.yaml" not in " ".join(specs[cv.COLLECTOR].argv)


def test_overlays_are_layered_when_asked(tmp_path: Path) -> None:
    settings = _settings(tmp_path, collector_debug=True, jaeger_storage="badger")
    specs = {s.name: s for s in components.build_specs(settings, BINARIES)}
    assert specs[cv.COLLECTOR].argv[-2:] == [
        "--config",
        str(locations.config_dir() / "collector" / "collector-debug.yaml"),
    ]
    assert specs[cv.JAEGER].argv[-1].endswith("jaeger-badger.yaml")
    assert specs[cv.JAEGER].env[cv.ENV_JAEGER_BADGER_DIR] == str(tmp_path / "jaeger" / "badger")


def test_unknown_jaeger_storage_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="memory, badger"):
        components.build_specs(_settings(tmp_path, jaeger_storage="cassandra"), BINARIES)


def test_env_carries_ports_and_peer_endpoints(tmp_path: Path) -> None:
    specs = {s.name: s for s in components.build_specs(_settings(tmp_path), BINARIES)}
    collector = specs[cv.COLLECTOR].env
    assert collector["KANSOKU_PORT_OTLP_GRPC"] == "14000"
    assert collector[cv.ENV_PROMETHEUS_URL] == "http://127.0.0.1:19090"
    assert collector[cv.ENV_JAEGER_OTLP_ENDPOINT] == "127.0.0.1:14317"
    assert collector[cv.ENV_BIND_ADDRESS] == "127.0.0.1"
    backend = specs[cv.SHOP_BACKEND].env
    assert backend["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:14000"
    assert backend["OTEL_SERVICE_NAME"] == cv.SHOP_BACKEND
    assert specs[cv.SHOP_FRONTEND].env[cv.ENV_SHOP_BACKEND_URL] == "http://127.0.0.1:8081"


def test_every_env_variable_the_configs_expand_is_set_locally(tmp_path: Path) -> None:
    """A variable the config uses but local mode forgets would silently take the cluster value."""
    specs = {s.name: s for s in components.build_specs(_settings(tmp_path), BINARIES)}
    for name, files in (
        (cv.COLLECTOR, ["collector/collector.yaml"]),
        (cv.JAEGER, ["jaeger/jaeger.yaml", "jaeger/jaeger-badger.yaml"]),
    ):
        for file in files:
            lines = (locations.config_dir() / file).read_text().splitlines()
            text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
            used = set(re.findall(r"\$\{env:([A-Z0-9_]+)", text))
            optional = {
                "KANSOKU_COLLECTOR_MEMORY_LIMIT_MIB",
                "KANSOKU_COLLECTOR_MEMORY_SPIKE_MIB",
                cv.ENV_JAEGER_MAX_TRACES,
            }
            missing = used - set(specs[name].env) - optional
            assert not missing, f"{file}: local mode does not set {sorted(missing)}"


def test_every_variable_of_the_prometheus_external_labels_is_set_locally(tmp_path: Path) -> None:
    """Prometheus drops a label whose variable is unset, so every one must be set."""
    specs = {s.name: s for s in components.build_specs(_settings(tmp_path), BINARIES)}
    lines = (locations.config_dir() / "prometheus" / "prometheus.yaml").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\$\{([A-Z0-9_]+)\}", text))
    assert used == {cv.ENV_CLUSTER, cv.ENV_ENVIRONMENT}
    assert all(specs[cv.PROMETHEUS].env[v] for v in used)


def test_prometheus_gets_flags_and_this_hosts_targets(tmp_path: Path) -> None:
    specs = {s.name: s for s in components.build_specs(_settings(tmp_path), BINARIES)}
    spec = specs[cv.PROMETHEUS]
    assert set(prometheus.FLAGS) <= set(spec.argv)
    # Every alert carries these external labels (prometheus.yaml expands the variables).
    assert spec.env[cv.ENV_CLUSTER] == spec.env[cv.ENV_ENVIRONMENT] == "local"
    assert "--storage.tsdb.retention.time=15d" in spec.argv
    assert "--web.listen-address=127.0.0.1:19090" in spec.argv
    assert spec.prepare is not None
    spec.prepare()
    etc = tmp_path / "prometheus" / "etc"
    committed = (locations.config_dir() / "prometheus" / "prometheus.yaml").read_text()
    assert (etc / "prometheus.yaml").read_text() == committed
    targets = json.loads((etc / "targets" / f"{cv.JOB_PROMETHEUS}.json").read_text())
    assert targets[0]["targets"] == ["127.0.0.1:19090"]
    jaeger = json.loads((etc / "targets" / f"{cv.JOB_JAEGER}.json").read_text())
    assert jaeger[0]["targets"] == ["127.0.0.1:14269"]
    alertmanager = json.loads((etc / "targets" / f"{cv.JOB_ALERTMANAGER}.json").read_text())
    assert alertmanager[0]["targets"] == ["127.0.0.1:9093"]


def _victorialogs(tmp_path: Path, **kwargs: object) -> components.ComponentSpec:
    specs = components.build_specs(_settings(tmp_path, **kwargs), BINARIES)
    return next(s for s in specs if s.name == cv.VICTORIALOGS)


def test_victorialogs_keeps_its_data_under_the_data_dir_for_seven_days(tmp_path: Path) -> None:
    spec = _victorialogs(tmp_path)
    assert spec.argv[0] == str(BINARIES["victoria-logs"])
    assert "-httpListenAddr=127.0.0.1:9428" in spec.argv
    assert f"-storageDataPath={tmp_path / 'victorialogs' / 'data'}" in spec.argv
    assert "-retentionPeriod=7d" in spec.argv
    assert spec.ready_url == "http://127.0.0.1:9428/health"
    assert spec.url == "http://127.0.0.1:9428/select/vmui/"
    assert spec.prepare is not None
    spec.prepare()
    assert (tmp_path / "victorialogs" / "data").is_dir()


def test_victorialogs_retention_is_overridable_and_checked(tmp_path: Path) -> None:
    assert "-retentionPeriod=4w" in _victorialogs(tmp_path, logs_retention="4w").argv
    for bad in ("7", "12h", "seven days", ""):
        with pytest.raises(ConfigError, match=r"--logs-retention.*1d or more"):
            _victorialogs(tmp_path, logs_retention=bad)


def test_the_collector_sends_logs_to_this_hosts_victorialogs(tmp_path: Path) -> None:
    specs = {s.name: s for s in components.build_specs(_settings(tmp_path), BINARIES)}
    assert specs[cv.COLLECTOR].env[cv.ENV_VICTORIALOGS_URL] == "http://127.0.0.1:9428"
