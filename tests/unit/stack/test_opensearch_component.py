"""OpenSearch as Jaeger's store: when it runs, how a node is started, what Jaeger is told."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import ConfigError, StackError
from kansoku.stack import components
from kansoku.stack.components import opensearch, traces_retention
from kansoku.stack.ports import resolve_ports
from kansoku.traces import retention

BINARIES = {
    **{b: Path(f"/opt/bin/{b}") for b in components.needed_binaries()},
    cv.OPENSEARCH: Path("/opt/opensearch-2.19.6/bin/opensearch"),
}


def _settings(tmp_path: Path, **kwargs: object) -> components.StackSettings:
    ports = resolve_ports([], environ={})
    return components.StackSettings(data_dir=tmp_path, ports=ports, **kwargs)  # type: ignore[arg-type]


def test_opensearch_runs_only_when_jaeger_stores_in_it(tmp_path: Path) -> None:
    memory = components.build_specs(_settings(tmp_path), BINARIES)
    assert cv.OPENSEARCH not in [s.name for s in memory]
    assert cv.OPENSEARCH not in components.needed_binaries(_settings(tmp_path))
    assert cv.OPENSEARCH in components.needed_binaries(
        _settings(tmp_path, jaeger_storage="opensearch")
    )
    # `kansoku tools install --stack` (make up) does not fetch it.
    assert cv.OPENSEARCH not in components.needed_binaries()


def test_jaeger_starts_after_opensearch_is_ready_and_is_pointed_at_it(tmp_path: Path) -> None:
    specs = components.build_specs(_settings(tmp_path, jaeger_storage="opensearch"), BINARIES)
    by_name = {s.name: s for s in specs}
    node, jaeger = by_name[cv.OPENSEARCH], by_name[cv.JAEGER]
    assert node.stage < min(s.stage for s in specs if s.name != cv.OPENSEARCH)
    # Stopped after Jaeger (reverse order), so Jaeger flushes into a running store.
    names = [s.name for s in specs]
    assert names.index(cv.OPENSEARCH) < names.index(cv.JAEGER)
    assert (
        node.ready_url == "http://127.0.0.1:9200/_cluster/health?wait_for_status=green&timeout=1s"
    )
    overlay = locations.config_dir() / "jaeger" / "jaeger-opensearch.yaml"
    assert jaeger.argv[-2:] == ["--config", str(overlay)]
    assert jaeger.env[cv.ENV_JAEGER_OPENSEARCH_URLS] == "[http://127.0.0.1:9200]"
    assert jaeger.env[cv.ENV_JAEGER_OPENSEARCH_REPLICAS] == "0"  # one node: green


def test_a_node_lives_in_its_folder_under_the_data_dir(tmp_path: Path) -> None:
    settings = _settings(tmp_path, jaeger_storage="opensearch", opensearch_heap="768m")
    (node,) = opensearch.specs(settings, BINARIES)
    folder = tmp_path.resolve() / cv.OPENSEARCH / "node-1"
    seen_as = opensearch.MOUNT_POINT / "node" if opensearch.as_root() else folder
    assert node.env["KANSOKU_OPENSEARCH_DATA"] == str(seen_as / "data")
    assert node.env["OPENSEARCH_PATH_CONF"] == str(seen_as / "config")
    assert node.env["OPENSEARCH_JAVA_OPTS"] == "-Xms768m -Xmx768m"
    assert node.env["KANSOKU_OPENSEARCH_HOST"] == "127.0.0.1"
    assert node.env["KANSOKU_OPENSEARCH_HTTP_PORT"] == "9200"
    assert "-Ediscovery.type=single-node" in node.argv


def test_every_variable_of_the_node_config_is_set(tmp_path: Path) -> None:
    text = (locations.config_dir() / "opensearch" / "opensearch.yml").read_text()
    used = set(re.findall(r"^[a-z.]+: \$\{(\w+)\}", text, flags=re.MULTILINE))
    (node,) = opensearch.specs(_settings(tmp_path, jaeger_storage="opensearch"), BINARIES)
    assert len(used) == 7
    assert used <= set(node.env)  # OpenSearch fails on an unset ${VAR}


def test_a_cluster_node_names_every_node_as_seed_and_initial_manager(tmp_path: Path) -> None:
    members = (("c1", 19301), ("c2", 19302), ("c3", 19303))
    node = opensearch.Node("c2", 19202, 19302, members)
    spec = opensearch.node_spec(_settings(tmp_path), BINARIES[cv.OPENSEARCH], node)
    assert "-Ediscovery.seed_hosts=127.0.0.1:19301,127.0.0.1:19302,127.0.0.1:19303" in spec.argv
    assert "-Ecluster.initial_cluster_manager_nodes=c1,c2,c3" in spec.argv
    assert not any("single-node" in a for a in spec.argv)
    assert spec.name == "opensearch-c2"


@pytest.mark.parametrize("heap", ["512", "1.5g", "-Xmx1g", ""])
def test_heap_must_be_a_jvm_size(tmp_path: Path, heap: str) -> None:
    with pytest.raises(ConfigError, match="--opensearch-heap"):
        opensearch.specs(
            _settings(tmp_path, jaeger_storage="opensearch", opensearch_heap=heap), BINARIES
        )


def test_jvm_options_paths_point_into_the_node_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "jvm.options").write_text(
        "-Xms1g\n-XX:HeapDumpPath=data\n-XX:ErrorFile=logs/hs_err_pid%p.log\n"
        "9-:-Xlog:gc*:file=logs/gc.log:utctime\n"
    )
    text = opensearch._jvm_options(home, Path("/n"))
    assert "HeapDumpPath=/n/data" in text
    assert "ErrorFile=/n/logs/hs_err_pid%p.log" in text
    assert "file=/n/logs/gc.log:" in text
    assert "=logs/" not in text
    assert "=data" not in text


def test_the_jaeger_overlay_stores_and_queries_in_opensearch() -> None:
    overlay = yaml.safe_load(
        (locations.config_dir() / "jaeger" / "jaeger-opensearch.yaml").read_text()
    )
    backends = overlay["extensions"]["jaeger_storage"]["backends"]
    (name,) = backends
    assert set(backends[name]) == {"opensearch"}
    assert overlay["extensions"]["jaeger_query"]["storage"]["traces"] == name
    assert overlay["exporters"]["jaeger_storage_exporter"]["trace_storage"] == name
    indices = backends[name]["opensearch"]["indices"]
    assert indices["index_prefix"] == cv.JAEGER_INDEX_PREFIX


def test_retention_runs_hourly_only_with_opensearch(tmp_path: Path) -> None:
    memory = components.build_specs(_settings(tmp_path), BINARIES)
    assert traces_retention.NAME not in [s.name for s in memory]
    settings = _settings(tmp_path, jaeger_storage="opensearch", traces_retention_days=3)
    specs = {s.name: s for s in components.build_specs(settings, BINARIES)}
    job = specs[traces_retention.NAME]
    assert job.stage > specs[cv.OPENSEARCH].stage
    assert job.argv[1:] == [
        "-m",
        "kansoku.traces.retention",
        "--url=http://127.0.0.1:9200",
        "--days=3",
    ]
    with pytest.raises(ConfigError, match="--traces-retention-days"):
        components.build_specs(
            _settings(tmp_path, jaeger_storage="opensearch", traces_retention_days=0), BINARIES
        )


def test_retention_keeps_the_last_days_by_the_day_in_the_name() -> None:
    names = [
        "kansoku-jaeger-span-2026-11-26",
        "kansoku-jaeger-service-2026-11-29",
        "kansoku-jaeger-span-2026-11-30",
        "kansoku-jaeger-span-2026-12-06",
        "kansoku-jaeger-dependencies-2026-11-01",
        "other-jaeger-span-2026-11-01",  # not ours
        "kansoku-jaeger-span-archive",  # not a daily index
    ]
    today = dt.date(2026, 12, 6)
    # Seven days kept: 11-30 to 12-06.
    assert retention.expired(names, today, 7) == [
        "kansoku-jaeger-dependencies-2026-11-01",
        "kansoku-jaeger-service-2026-11-29",
        "kansoku-jaeger-span-2026-11-26",
    ]
    assert retention.expired(names, today, 1) == sorted(
        n for n in names if n.startswith("kansoku-jaeger-") and not n.endswith(("06", "archive"))
    )
    with pytest.raises(StackError, match="today's spans"):
        retention.expired(names, today, 0)


def test_a_local_node_keeps_free_space_watermarks_not_the_disk_percentages(
    tmp_path: Path,
) -> None:
    members = (("c1", 19301), ("c2", 19302))
    (single,) = opensearch.specs(_settings(tmp_path, jaeger_storage="opensearch"), BINARIES)
    member = opensearch.node_spec(
        _settings(tmp_path), BINARIES[cv.OPENSEARCH], opensearch.Node("c1", 19201, 19301, members)
    )
    for spec in (single, member):
        marks = [a for a in spec.argv if a.startswith("-Ecluster.routing.allocation.disk.")]
        assert marks == [
            "-Ecluster.routing.allocation.disk.watermark.low=2gb",
            "-Ecluster.routing.allocation.disk.watermark.high=1gb",
            "-Ecluster.routing.allocation.disk.watermark.flood_stage=500mb",
        ]
    # The shared opensearch.yml (a pod's own volume) keeps OpenSearch's percentages.
    text = (locations.config_dir() / "opensearch" / "opensearch.yml").read_text()
    assert "watermark" not in text
