"""The SLO dashboard: generated from the specs, querying only series the rules record."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kansoku import conventions as cv
from kansoku.dashboards.render import grafana
from kansoku.dashboards.slo import slo_dashboard as _board
from kansoku.slo import loader, pipeline, rules
from kansoku.slo.spec import SLO

REPO = Path(__file__).resolve().parents[3]


def _slos() -> list[SLO]:
    return loader.load_dir(REPO / "config" / "slo")


def slo_dashboard(slos: list[SLO]) -> dict[str, Any]:
    return grafana.render(_board(slos))


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] != "row"]


def _recorded() -> set[str]:
    build = pipeline.run(_slos())
    return {r["record"] for recs in build.recording.values() for r in recs}


def test_every_query_names_only_recorded_slo_series() -> None:
    recorded = _recorded()
    exprs = [t["expr"] for p in _panels(slo_dashboard(_slos())) for t in p["targets"]]
    assert exprs
    for expr in exprs:
        names = set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", expr))
        assert names, expr
        assert names <= recorded, (expr, names - recorded)


def test_panels_cover_what_the_issue_asks_for() -> None:
    titles = " | ".join(p["title"] for p in _panels(slo_dashboard(_slos())))
    for wanted in (
        "Availability",
        "Latency SLI",
        "Error rate",
        "Apdex",
        "Error budget remaining",
        "Burn rate per alert window",
        "Time to exhaustion",
    ):
        assert wanted in titles, wanted


def test_burn_rate_panels_show_each_pair_threshold() -> None:
    board = slo_dashboard(_slos())
    panel = next(
        p for p in _panels(board) if p["title"] == "Burn rate per alert window (availability)"
    )
    exprs = [t["expr"] for t in panel["targets"]]
    slo = _slos()[0]
    assert rules.series(cv.SLO_RECORD_BURN_THRESHOLD, slo) in exprs
    assert {f"burn {w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")} <= {
        t["legendFormat"] for t in panel["targets"]
    }


def test_datasources_use_the_conventions_uid() -> None:
    for panel in _panels(slo_dashboard(_slos())):
        assert panel["datasource"] == {"type": "prometheus", "uid": cv.DATASOURCE_PROMETHEUS_UID}


def test_objective_is_the_stat_threshold() -> None:
    panel = next(p for p in _panels(slo_dashboard(_slos())) if p["title"] == "Availability (30d)")
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps == [{"color": "red", "value": None}, {"color": "green", "value": 0.999}]


def test_committed_dashboard_is_current_and_ids_are_unique() -> None:
    committed = (REPO / "config" / "grafana" / "dashboards" / cv.DASHBOARD_SLO_FILE).read_text()
    assert committed == pipeline.generate(_slos())[pipeline.DASHBOARD]
    board = json.loads(committed)
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    assert board["uid"] == cv.DASHBOARD_SLO_UID
