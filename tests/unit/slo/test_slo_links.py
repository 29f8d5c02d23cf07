"""The alerts' links are absolute (a pager or chat client opens them) and their team routable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO, shop_slos
from kansoku import conventions as cv
from kansoku.errors import ConfigError
from kansoku.slo import loader, pipeline, validate

AVAILABILITY = "    objective: 99.9\n    sli: {type: availability, metric: http.server.requests}\n"


def _annotations(files: dict[object, str]) -> list[dict[str, str]]:
    found = []
    for path, text in files.items():
        if str(path).startswith(str(pipeline.RULES_DIR)) and str(path).endswith(".yaml"):
            for group in yaml.safe_load(text).get("groups", []):
                found += [r["annotations"] for r in group["rules"] if "alert" in r]
    return found


def test_generated_alerts_link_to_the_base_urls_given() -> None:
    files = pipeline.generate(
        shop_slos(),
        runbook_base_url="https://docs.example.org/kansoku/",
        dashboard_base_url="https://grafana.example.org",
    )
    annotations = _annotations(files)
    assert annotations
    for a in annotations:
        assert a["runbook_url"] == f"https://docs.example.org/kansoku/{cv.SLO_RUNBOOK_PATH}"
        assert a["dashboard"] == f"https://grafana.example.org/d/{cv.DASHBOARD_SLO_UID}"


def test_committed_alert_links_are_absolute_and_point_at_real_anchors() -> None:
    """Every alert rule under config/prometheus/rules, generated or hand-written."""
    rules_dir = REPO / "config" / "prometheus" / "rules"
    for path in sorted(rules_dir.glob("*.yaml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in (r for r in group["rules"] if "alert" in r):
                links = {
                    k: rule["annotations"][k]
                    for k in ("runbook_url", "dashboard")
                    if k in rule["annotations"]
                }
                assert "runbook_url" in links, f"{path.name} {rule['alert']}"
                runbook = links["runbook_url"]
                assert runbook.startswith(cv.RUNBOOK_BASE_URL), runbook
                page, _, anchor = runbook.removeprefix(cv.RUNBOOK_BASE_URL).partition("#")
                headings = re.findall(r"^#+ (.+)$", (REPO / "docs" / page).read_text(), re.M)
                slugs = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}
                assert anchor in slugs, f"{runbook}: no such heading in docs/{page}"
                if "dashboard" in links:
                    uid = links["dashboard"].removeprefix(f"{cv.DASHBOARD_BASE_URL}/d/")
                    boards = (REPO / "config" / "grafana" / "dashboards").glob("*.json")
                    assert any(f'"uid": "{uid}"' in b.read_text() for b in boards), uid


@pytest.mark.parametrize("base", ["docs/", "/docs", "ftp://x/", ""])
def test_a_relative_or_odd_base_url_is_refused(base: str) -> None:
    with pytest.raises(ConfigError, match="runbook-base-url"):
        pipeline.generate(shop_slos(), runbook_base_url=base)


def test_a_team_that_cannot_be_routed_is_refused(write_spec) -> None:  # type: ignore[no-untyped-def]
    path: Path = write_spec("labels: {team: Shop Team}\n" + loader_text())
    with pytest.raises(ConfigError, match=r"labels\.team"):
        validate.validate(loader.load_file(path))


def loader_text() -> str:
    return "service: shop-backend\nslos:\n  - name: s\n" + AVAILABILITY
