"""SLO rules on the live local stack: loaded by Prometheus, and the page alert's condition
becomes true once shop-backend answers with errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kansoku import conventions as cv
from kansoku import locations
from kansoku.slo import loader, rules
from kansoku.stack.state import StackState
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.e2e
SLO_ID = f"{cv.SHOP_BACKEND}-availability"


def _query(stack: StackState, expr: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{stack.url('prometheus')}/api/v1/query", params={"query": expr}, timeout=10
    )
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


@pytest.fixture
def backend_failing(stack: StackState) -> Iterator[None]:
    """Every shop-backend request answers 503 until the test ends."""
    url = f"{stack.url('shop-backend')}{cv.ADMIN_FAULTS_PATH}"
    headers = {"Authorization": f"Bearer {os.environ[cv.ENV_ADMIN_TOKEN]}"}
    httpx.put(
        url, json={"rules": {"*": {"error_rate": 1.0}}}, headers=headers, timeout=10
    ).raise_for_status()
    try:
        yield
    finally:
        httpx.put(url, json={"rules": {}}, headers=headers, timeout=10).raise_for_status()


def test_prometheus_loaded_every_generated_slo_group(stack: StackState) -> None:
    response = httpx.get(f"{stack.url('prometheus')}/api/v1/rules", timeout=10)
    response.raise_for_status()
    groups = {g["name"] for g in response.json()["data"]["groups"]}
    expected = {
        f"{cv.SLO_RULE_FILE_PREFIX}{s.id}" for s in loader.load_dir(locations.config_dir() / "slo")
    }
    assert expected <= groups, expected - groups


def test_injected_errors_make_the_page_condition_true(
    stack: StackState, backend_failing: None
) -> None:
    slo = next(s for s in loader.load_dir(locations.config_dir() / "slo") if s.id == SLO_ID)
    severity, fastest = slo.pairs[0]
    assert severity == "page"
    condition = rules.alert_expr(slo, fastest)

    def condition_true() -> list[dict[str, Any]] | None:
        return _query(stack, condition) or None

    hits = poll_until(
        condition_true, what=f"the page condition of {SLO_ID}: {condition}", timeout=300, interval=5
    )
    assert float(hits[0]["value"][1]) > float(slo.threshold(fastest))
    firing = (
        f'ALERTS{{alertname="{cv.SLO_ALERT_BURN}", {cv.SLO_LABEL_ID}="{SLO_ID}", '
        f'{cv.SLO_LABEL_SEVERITY}="page", alertstate="firing"}}'
    )
    alerts = poll_until(
        lambda: _query(stack, firing) or None,
        what=f"a firing page alert for {SLO_ID}",
        timeout=120,
        interval=5,
    )
    assert {a["metric"][cv.SLO_LABEL_LONG_WINDOW] for a in alerts} >= {"1h"}
