"""The Perses rendering: committed and current, and the same dashboard as the Grafana one —
every panel with the same queries, the same variables, every panel placed once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kansoku import conventions as cv
from kansoku.dashboards import catalog, model, overview
from kansoku.dashboards.render import perses

REPO = Path(__file__).resolve().parents[3]
IDS = [b.uid for b in catalog.BOARDS]


def _grafana_queries(data: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Panel title -> (expression, Jaeger search or LogsQL, legend) per target, in order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for panel in data["panels"]:
        if panel["type"] == "row":
            continue
        targets = []
        for t in panel.get("targets", []):
            source = t.get("datasource", {}).get("type")
            if source == "jaeger":
                if t["queryType"] == "search":
                    targets.append((f"jaeger:{t['service']}:{t.get('tags', '')}", ""))
            elif source == cv.DATASOURCE_VICTORIALOGS_TYPE:
                targets.append((f"logsql:{t['expr']}:{t['maxLines']}", ""))
            else:
                targets.append((t["expr"], t.get("legendFormat", "")))
        found[panel["title"]] = targets
    return found


def _perses_queries(data: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The same, panels in layout order (the file sorts them by id)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for ref in _layout_refs(data["spec"]):
        panel = data["spec"]["panels"][ref]
        targets = []
        for query in panel["spec"].get("queries", []):
            plugin = query["spec"]["plugin"]
            spec = plugin["spec"]
            if plugin["kind"] == "JaegerTraceQuery":
                targets.append((f"jaeger:{spec['service']}:{spec.get('tags', '')}", ""))
            elif plugin["kind"] == "VictoriaLogsLogQuery":
                targets.append((f"logsql:{spec['query']}:{spec['limit']}", ""))
            else:
                assert plugin["kind"] == "PrometheusTimeSeriesQuery"
                targets.append((spec["query"], spec.get("seriesNameFormat", "")))
        found[panel["spec"]["display"]["name"]] = targets
    return found


def _layout_refs(spec: dict[str, Any]) -> list[str]:
    return [
        item["content"]["$ref"].removeprefix("#/spec/panels/")
        for layout in spec["layouts"]
        for item in layout["spec"]["items"]
    ]


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_every_panel_has_the_same_queries_in_both_renderings(board: catalog.Board) -> None:
    grafana = _grafana_queries(catalog.load(REPO, board))
    rendered = _perses_queries(catalog.load_perses(REPO, board))
    assert list(rendered) == list(grafana), "same panels, in the same order"
    for title, targets in grafana.items():
        assert rendered[title] == targets, title
    assert sum(len(t) for t in grafana.values()) > len(grafana) // 2


def test_log_panels_are_in_the_console_with_the_grafana_logsql() -> None:
    """Every Grafana log panel is a LogsTable fed by VictoriaLogsLogQuery in the console."""
    board = next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_APPLICATION_UID)
    grafana = catalog.load(REPO, board)
    logs = {p["title"]: p["targets"][0]["expr"] for p in grafana["panels"] if p["type"] == "logs"}
    assert logs, "the Application dashboard has a log panel in Grafana"
    rendered = catalog.load_perses(REPO, board)["spec"]["panels"].values()
    shown = {
        p["spec"]["display"]["name"]: p["spec"]["queries"][0]["spec"]["plugin"]
        for p in rendered
        if p["spec"]["plugin"]["kind"] == "LogsTable"
    }
    assert set(shown) == set(logs)
    for title, expr in logs.items():
        assert shown[title]["kind"] == "VictoriaLogsLogQuery"
        assert shown[title]["spec"]["query"] == expr


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_variables_match_grafana(board: catalog.Board) -> None:
    grafana = {v["name"]: v for v in catalog.load(REPO, board)["templating"].get("list", [])}
    rendered = {v["spec"]["name"]: v for v in catalog.load_perses(REPO, board)["spec"]["variables"]}
    assert list(rendered) == list(grafana)
    for name, want in grafana.items():
        got = rendered[name]
        if want["type"] == "textbox":
            assert got["kind"] == "TextVariable"
            assert got["spec"]["value"] == want["query"]
            continue
        spec = got["spec"]
        selector = spec["plugin"]["spec"]["matchers"][0]
        label = spec["plugin"]["spec"]["labelName"]
        assert want["query"] == f"label_values({selector}, {label})"
        assert spec["allowMultiple"] == want["multi"] == spec["allowAllValue"]
        assert spec.get("customAllValue") == want.get("allValue")


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_every_panel_is_placed_once_inside_the_grid(board: catalog.Board) -> None:
    spec = catalog.load_perses(REPO, board)["spec"]
    refs = _layout_refs(spec)
    assert sorted(refs) == sorted(spec["panels"])
    for layout in spec["layouts"]:
        for item in layout["spec"]["items"]:
            assert item["x"] + item["width"] <= perses.GRID_COLUMNS


def test_rows_become_titled_grids_in_order() -> None:
    board = next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_OVERVIEW_UID)
    rows = [p["title"] for p in catalog.load(REPO, board)["panels"] if p["type"] == "row"]
    titles = [
        g["spec"]["display"]["title"] for g in catalog.load_perses(REPO, board)["spec"]["layouts"]
    ]
    assert titles == rows


def test_exemplar_panels_link_to_the_console_exemplar_view() -> None:
    board = next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_APPLICATION_UID)
    data = catalog.load_perses(REPO, board)
    linked = {
        key: p["spec"]["links"][0]["url"]
        for key, p in data["spec"]["panels"].items()
        if "links" in p["spec"]
    }
    assert "request-duration-p50-p95-p99" in linked
    assert linked["request-duration-p50-p95-p99"] == (
        f"/exemplars/{cv.DASHBOARD_APPLICATION_UID}/request-duration-p50-p95-p99"
    )


def test_perses_files_are_drift_checked(tmp_path: Path) -> None:
    catalog.write(tmp_path)
    board = catalog.BOARDS[0]
    target = tmp_path / board.perses_path
    target.write_text(target.read_text(encoding="utf-8").replace("kansoku", "other"), "utf-8")
    assert catalog.drift(tmp_path) == [f"stale: {board.perses_path}"]


def test_an_unmapped_unit_is_a_clear_error() -> None:
    panel = model.Panel("timeseries", "T", "d", (model.Query("up"),), unit="furlongs")
    with pytest.raises(ValueError, match="no Perses unit for Grafana unit 'furlongs'"):
        perses.panel(panel, "board", "t")


def test_duplicate_titles_get_distinct_panel_ids() -> None:
    board = model.Dashboard("uid", "T", "d", ["kansoku"])
    for _ in range(2):
        board.with_panel(model.Panel("timeseries", "Same title", "d", (model.Query("up"),)))
    assert list(perses.render(board)["spec"]["panels"]) == ["same-title", "same-title-2"]


def test_only_the_cluster_only_rows_are_collapsed_in_the_console() -> None:
    board = next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_OVERVIEW_UID)
    layouts = catalog.load_perses(REPO, board)["spec"]["layouts"]
    closed = [
        g["spec"]["display"]["title"]
        for g in layouts
        if not g["spec"]["display"]["collapse"]["open"]
    ]
    assert closed == [overview.KUBERNETES_ROW]
    in_closed = {
        i["content"]["$ref"].split("/")[-1]
        for g in layouts
        if not g["spec"]["display"]["collapse"]["open"]
        for i in g["spec"]["items"]
    }
    spec = catalog.load_perses(REPO, board)["spec"]
    titles = {spec["panels"][key]["spec"]["display"]["name"] for key in in_closed}
    assert titles == set(overview.CLUSTER_ONLY)


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_the_console_opens_each_dashboard_on_a_range_a_fresh_stack_fills(
    board: catalog.Board,
) -> None:
    assert catalog.load_perses(REPO, board)["spec"]["duration"] == "15m"


def test_a_stat_with_nothing_to_report_says_so_in_words() -> None:
    board = next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_SLO_UID)
    grafana = {p["title"]: p for p in catalog.load(REPO, board)["panels"]}
    said = grafana["Time to exhaustion"]["fieldConfig"]["defaults"]["noValue"]
    panels = catalog.load_perses(REPO, board)["spec"]["panels"].values()
    stat = next(p for p in panels if p["spec"]["display"]["name"] == "Time to exhaustion")
    nothing = {"kind": "Misc", "spec": {"value": "null", "result": {"value": said}}}
    assert said == "not burning"
    assert nothing in stat["spec"]["plugin"]["spec"]["mappings"]
