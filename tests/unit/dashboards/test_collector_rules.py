"""The collector-health alert rules: valid, unit-tested with promtool, on the dashboard's series."""

from __future__ import annotations

from pathlib import Path

import yaml

from kansoku import conventions as cv
from kansoku.dashboards import catalog, queries
from kansoku.slo import promtool

REPO = Path(__file__).resolve().parents[3]
RULES = REPO / "config" / "prometheus" / "rules" / cv.COLLECTOR_RULE_FILE
TESTS = RULES.parent / "tests" / "collector-health.test.yaml"


def _rules() -> list[dict[str, str]]:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    rules: list[dict[str, str]] = doc["groups"][0]["rules"]
    return rules


def test_promtool_accepts_the_rules_and_their_unit_tests_pass() -> None:
    checked = promtool.check_rules([RULES])
    assert checked.ok, checked.output
    tested = promtool.run_tests([TESTS])
    assert tested.ok, tested.output


def test_every_alert_is_unit_tested_and_named_in_conventions() -> None:
    alerts = {r["alert"] for r in _rules()}
    assert alerts == {
        cv.ALERT_COLLECTOR_REFUSING,
        cv.ALERT_COLLECTOR_RECEIVER_FAILING,
        cv.ALERT_COLLECTOR_DROPPING,
        cv.ALERT_COLLECTOR_QUEUE_FULL,
        cv.ALERT_COLLECTOR_SERIES_LIMITED,
    }
    tests = yaml.safe_load(TESTS.read_text(encoding="utf-8"))["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    }
    assert fired == alerts


def test_the_collector_dashboard_shows_every_series_the_alerts_watch() -> None:
    board = next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_COLLECTOR_UID)
    shown: set[str] = set()
    for target in queries.prometheus_targets(catalog.load(REPO, board)):
        shown |= queries.metric_names(target.expr)
    for rule in _rules():
        assert cv.COLLECTOR_SELECTOR in rule["expr"], rule["alert"]
        assert queries.metric_names(rule["expr"]) <= shown, rule["alert"]
