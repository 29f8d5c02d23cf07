"""The generated dashboards: current on disk, valid for the SDK's model, queries that parse,
fixed datasources, variables, links between every dashboard, and declared exemptions that
point at real panels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from kansoku import conventions as cv
from kansoku.dashboards import catalog, collector, overview, queries
from kansoku.dashboards.command import dashboards

REPO = Path(__file__).resolve().parents[3]
IDS = [b.uid for b in catalog.BOARDS]


def _load(board: catalog.Board) -> dict[str, Any]:
    return catalog.load(REPO, board)


def _panels(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in data["panels"] if p["type"] != "row"]


def test_committed_dashboards_are_what_the_code_generates() -> None:
    assert catalog.drift(REPO) == []
    assert {b.file for b in catalog.GENERATED} == {
        cv.DASHBOARD_OVERVIEW_FILE,
        cv.DASHBOARD_APPLICATION_FILE,
        cv.DASHBOARD_TRACES_FILE,
        cv.DASHBOARD_COLLECTOR_FILE,
    }


def test_drift_check_names_a_stale_and_a_missing_file(tmp_path: Path) -> None:
    catalog.write(tmp_path)
    stale = tmp_path / catalog.GENERATED[0].path
    stale.write_text(
        stale.read_text(encoding="utf-8").replace("kansoku", "other"), encoding="utf-8"
    )
    (tmp_path / catalog.GENERATED[1].path).unlink()
    assert catalog.drift(tmp_path) == sorted(
        [f"stale: {catalog.GENERATED[0].path}", f"missing: {catalog.GENERATED[1].path}"],
        key=lambda line: line.split(": ")[1],
    )


def test_cli_generate_then_check_passes_and_check_fails_when_stale(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(dashboards, ["generate", "--root", str(tmp_path)]).exit_code == 0
    ok = runner.invoke(dashboards, ["check", "--root", str(tmp_path), "--no-promtool"])
    assert ok.exit_code == 0, ok.output
    (tmp_path / catalog.GENERATED[2].path).write_text("{}\n", encoding="utf-8")
    stale = runner.invoke(dashboards, ["check", "--root", str(tmp_path), "--no-promtool"])
    assert stale.exit_code != 0
    assert str(catalog.GENERATED[2].path) in str(stale.exception)


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_json_round_trips_through_the_sdk_model(board: catalog.Board) -> None:
    register_default_plugins()
    data = _load(board)
    again = json.loads(json.dumps(Dashboard.from_json(data), cls=JSONEncoder))
    assert catalog.render(again) == catalog.render(data)
    assert data["uid"] == board.uid


def test_every_promql_expression_parses_with_promtool() -> None:
    exprs = []
    for board in catalog.BOARDS:
        data = _load(board)
        values = queries.placeholders(data)
        exprs += [queries.expand(t.expr, values) for t in queries.prometheus_targets(data)]
    assert len(exprs) > 100
    result = queries.check_with_promtool(exprs)
    assert result.ok, result.output


def test_promtool_check_rejects_a_broken_expression() -> None:
    result = queries.check_with_promtool(["sum(rate(up[5m])"])
    assert not result.ok


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_panels_use_the_fixed_datasources(board: catalog.Board) -> None:
    uids = {
        "prometheus": cv.DATASOURCE_PROMETHEUS_UID,
        "jaeger": cv.DATASOURCE_JAEGER_UID,
        cv.DATASOURCE_VICTORIALOGS_TYPE: cv.DATASOURCE_VICTORIALOGS_UID,
    }
    for panel in _panels(_load(board)):
        assert panel["targets"], panel["title"]
        for item in (panel, *panel["targets"]):
            source = item["datasource"]
            assert source["uid"] == uids[source["type"]], panel["title"]


@pytest.mark.parametrize("board", catalog.GENERATED, ids=[b.uid for b in catalog.GENERATED])
def test_panel_titles_are_unique_so_failures_name_one_panel(board: catalog.Board) -> None:
    titles = [p["title"] for p in _panels(_load(board))]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_every_dashboard_links_to_all_others_by_tag(board: catalog.Board) -> None:
    data = _load(board)
    assert cv.PROJECT in data["tags"]
    assert {"type": "dashboards", "tags": [cv.PROJECT]}.items() <= data["links"][0].items()


def test_variables_service_route_and_namespace() -> None:
    found = {b.uid: {v.name: v for v in queries.variables(_load(b))} for b in catalog.GENERATED}
    app = found[cv.DASHBOARD_APPLICATION_UID]
    assert app[cv.VARIABLE_ROUTE].multi
    assert f"${cv.VARIABLE_SERVICE}" in app[cv.VARIABLE_ROUTE].query  # routes of the services
    assert not found[cv.DASHBOARD_TRACES_UID][cv.VARIABLE_SERVICE].multi  # Jaeger: one service
    assert found[cv.DASHBOARD_OVERVIEW_UID][cv.VARIABLE_NAMESPACE].all_value == ".*"
    for variables in found.values():
        for var in variables.values():
            if var.kind == "query":
                queries.label_values_call(var.query)  # raises unless label_values(...)


def test_the_namespaces_come_from_kubeletstats_and_the_k8s_cluster_panels_are_named() -> None:
    """kubeletstats runs in every node's agent, k8s_cluster in one (the lease holder): the
    namespace variable reads the former; the panels that need the latter are named (the
    real-node check lists them as without data where the receiver is missing)."""
    data = _load(next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_OVERVIEW_UID))
    [namespace] = [v for v in queries.variables(data) if v.name == cv.VARIABLE_NAMESPACE]
    selector = queries.label_values_call(namespace.query)[0] or ""
    assert queries.metric_names(selector) == {"k8s_pod_memory_working_set_bytes"}
    named = overview.k8s_cluster_panels()
    assert named == ["Container restarts", "Deployments: available vs desired"]
    assert set(named) < set(overview.CLUSTER_ONLY)


def test_latency_panels_fetch_exemplars() -> None:
    data = _load(catalog.GENERATED[1])
    panel = next(p for p in _panels(data) if p["title"] == "Request duration p50 / p95 / p99")
    quantiles = [t for t in panel["targets"] if "histogram_quantile" in t["expr"]]
    assert len(quantiles) == 3
    assert all(t["exemplar"] for t in quantiles)


def test_trace_dashboard_searches_jaeger_and_draws_its_dependency_graph() -> None:
    data = _load(next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_TRACES_UID))
    models = [t.model for t in queries.jaeger_targets(data)]
    assert {m["queryType"] for m in models} == {"search", "dependencyGraph"}
    assert any(m.get("tags") == f"{cv.ATTR_STATUS}=503" for m in models)
    graph = next(p for p in _panels(data) if p["title"] == "Service dependency graph")
    assert graph["type"] == "nodeGraph"


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_declared_exemptions_name_real_panels_and_metrics(board: catalog.Board) -> None:
    data = _load(board)
    titles = {p["title"] for p in _panels(data)}
    assert set(board.local_exempt) <= titles
    used = set()
    for target in queries.prometheus_targets(data):
        used |= queries.metric_names(target.expr)
    for var in queries.variables(data):
        if var.kind == "query":
            used |= queries.metric_names(queries.label_values_call(var.query)[0] or "")
    assert set(board.rare_metrics) <= used


def test_collector_queries_read_only_the_direct_scrape() -> None:
    data = _load(next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_COLLECTOR_UID))
    for target in queries.prometheus_targets(data):
        if "otelcol_" in target.expr:
            assert target.expr.count("otelcol_") == target.expr.count(cv.COLLECTOR_SELECTOR)


def test_memory_limit_defaults_come_from_collector_yaml(tmp_path: Path) -> None:
    assert collector.memory_defaults() == (400, 100)
    broken = tmp_path / "collector.yaml"
    broken.write_text("processors:\n  memory_limiter:\n    limit_mib: 400\n", encoding="utf-8")
    with pytest.raises(ValueError, match="limit_mib"):
        collector.memory_defaults(broken)
