"""The one Alertmanager configuration: valid, every route tested, secrets only in files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from amtool import CONFIG, amtool, route

from kansoku import conventions as cv
from kansoku import locations
from kansoku.slo import loader

# Labels as the rules give them: a generated SLO alert, a collector alert, the Watchdog.
SLO_PAGE = {
    "alertname": cv.SLO_ALERT_BURN,
    "slo": "shop-backend-availability",
    "slo_service": "shop-backend",
    "team": "shop",
    "severity": "page",
}
CASES: list[tuple[str, dict[str, str], str]] = [
    ("an SLO page of team shop", SLO_PAGE, "shop-page"),
    ("an SLO ticket of team shop", {**SLO_PAGE, "severity": "ticket"}, "shop-ticket"),
    (
        "a page of no team (the collector's)",
        {"alertname": cv.ALERT_COLLECTOR_DROPPING, "severity": "page"},
        "page",
    ),
    (
        "a ticket of no team",
        {"alertname": cv.ALERT_COLLECTOR_QUEUE_FULL, "severity": "ticket"},
        "ticket",
    ),
    ("a page of an unknown team", {**SLO_PAGE, "team": "search"}, "page"),
    ("an alert of another severity", {"alertname": "Custom", "severity": "info"}, "default"),
    ("an alert without severity", {"alertname": "Custom"}, "default"),
    ("the Watchdog", {"alertname": cv.ALERT_WATCHDOG, "severity": "none"}, "watchdog"),
]


def _config() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return doc


def test_amtool_check_config_accepts_the_config_and_its_templates() -> None:
    proc = amtool("check-config", str(CONFIG))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout
    assert "1 templates" in proc.stdout


@pytest.mark.parametrize(("case", "labels", "receiver"), CASES, ids=[c[0] for c in CASES])
def test_each_alert_reaches_its_receiver(case: str, labels: dict[str, str], receiver: str) -> None:
    assert route(labels) == [receiver], case


def test_the_route_cases_cover_every_receiver() -> None:
    receivers = {r["name"] for r in _config()["receivers"]}
    assert {c[2] for c in CASES} == receivers


def test_every_team_of_the_slo_specs_has_its_page_and_ticket_receivers() -> None:
    teams = {
        dict(s.labels).get(cv.LABEL_TEAM) for s in loader.load_dir(locations.config_dir() / "slo")
    }
    assert None not in teams, "every committed SLO spec names a team"
    for team in teams:
        for severity in cv.SLO_SEVERITIES:
            assert route({**SLO_PAGE, "team": str(team), "severity": severity}) == [
                f"{team}-{severity}"
            ]


def test_pages_are_fast_and_hourly_tickets_slower() -> None:
    routes = {r["receiver"]: r for r in _config()["route"]["routes"]}
    page, ticket = routes["page"], routes["ticket"]
    assert page["repeat_interval"] == "1h"
    seconds = {"s": 1, "m": 60, "h": 3600}

    def span(text: str) -> int:
        return int(text[:-1]) * seconds[text[-1]]

    assert span(page["group_wait"]) < span(ticket["group_wait"])
    assert span(page["repeat_interval"]) < span(ticket["repeat_interval"])
    assert _config()["route"]["group_by"] == ["alertname", "slo", "slo_service", "job"]


def test_a_page_inhibits_the_tickets_of_its_own_slo_only() -> None:
    (rule,) = _config()["inhibit_rules"]
    assert rule["equal"] == [cv.SLO_LABEL_ID]
    assert 'severity="page"' in rule["source_matchers"]
    assert 'severity="ticket"' in rule["target_matchers"]
    # Without an slo on the source, equal=[slo] would match every ticket that has none.
    assert 'slo=~".+"' in rule["source_matchers"]


def test_receivers_read_their_urls_from_files_only() -> None:
    files = []
    for receiver in _config()["receivers"]:
        for kind, configs in receiver.items():
            if kind == "name":
                continue
            for config in configs:
                assert "url" not in config, f"{receiver['name']}: a URL in the config"
                files.append(Path(config["url_file"]))
    assert [f.parent.as_posix() for f in files] == [cv.ALERTMANAGER_SECRETS_DIR] * len(files)
    assert sorted(f.name for f in files) == sorted(cv.ALERTMANAGER_URL_FILES)


def _page_alert() -> dict[str, Any]:
    """The 1h/5m page of shop-backend availability, as the committed rule file gives it."""
    path = locations.config_dir() / "prometheus" / "rules" / "slo-shop-backend-availability.yaml"
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))["groups"][0]["rules"]
    rule = next(r for r in rules if r.get("alert") and r["labels"]["severity"] == "page")
    labels = {**SLO_PAGE, **rule["labels"], "cluster": "local", "environment": "local"}
    # Prometheus renders the budget_left template when the alert fires.
    return {"labels": labels, "annotations": {**rule["annotations"], "budget_left": "-12.5%"}}


def _data(status: str) -> dict[str, Any]:
    alert = _page_alert()
    return {
        "receiver": "shop-page",
        "status": status,
        "alerts": [
            {
                **alert,
                "status": status,
                "startsAt": "2026-12-01T10:00:00Z",
                "endsAt": "2026-12-01T10:20:00Z"
                if status == "resolved"
                else "0001-01-01T00:00:00Z",
            }
        ],
        "groupLabels": {"slo": SLO_PAGE["slo"], "alertname": cv.SLO_ALERT_BURN},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://127.0.0.1:9093",
    }


def _render(tmp_path: Path, data: dict[str, Any], text: str) -> str:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data))
    proc = amtool(
        "template",
        "render",
        "--template.glob=templates/*.tmpl",
        f"--template.data={path}",
        f"--template.text={text}",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_the_notification_text_shows_summary_slo_windows_place_and_absolute_links(
    tmp_path: Path,
) -> None:
    annotations = _page_alert()["annotations"]
    text = _render(tmp_path, _data("firing"), '{{ template "kansoku.text" . }}')
    assert text.startswith(f"FIRING: {annotations['summary']}\n")
    assert "SLO: shop-backend-availability\n" in text
    assert "Burn windows: 1h and 5m\nError budget left: -12.5%\n" in text
    assert "Where: cluster local, environment local\n" in text
    assert f"Dashboard: {cv.DASHBOARD_BASE_URL}/d/{cv.DASHBOARD_SLO_UID}\n" in text
    assert f"Runbook: {cv.RUNBOOK_BASE_URL}{cv.SLO_RUNBOOK_PATH}\n" in text
    assert text.rstrip().endswith("Silence or inspect: http://127.0.0.1:9093")


def test_the_title_says_firing_or_resolved_with_the_slo_and_severity(tmp_path: Path) -> None:
    title = '{{ template "kansoku.title" . }}'
    assert _render(tmp_path, _data("firing"), title).strip() == (
        "[FIRING:1] ErrorBudgetBurn shop-backend-availability (page)"
    )
    resolved = _render(tmp_path, _data("resolved"), title).strip()
    assert resolved == "[RESOLVED] ErrorBudgetBurn shop-backend-availability (page)"
    text = _render(tmp_path, _data("resolved"), '{{ template "kansoku.text" . }}')
    assert text.startswith("RESOLVED: ")
    assert "resolved: 2026-12-01 10:20:00 UTC" in text
