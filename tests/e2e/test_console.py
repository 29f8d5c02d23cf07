"""The console in a real browser, on the live stack with the shop's load.

A trace found by id opens with spans from both shop services; a trace search finds traces
that open; the landing page shows every component's health and links to the UIs; each page
loads with no console error. A screenshot of each page is kept with the test output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from browser import PageEvents, screenshot
from playwright.sync_api import Page

from kansoku import conventions as cv
from kansoku.stack.state import StackState
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.e2e
DATA_TIMEOUT = 240  # as the dashboard query test: exports every 5 s, spanmetrics every 15 s
SHOP = (cv.SHOP_FRONTEND, cv.SHOP_BACKEND)


def _jaeger(stack: StackState, path: str, **params: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{stack.url(cv.CONSOLE)}/api/jaeger/api/v3{path}", params=params, timeout=30
    )
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def _services_of(trace: dict[str, Any]) -> set[str]:
    return {
        a["value"]["stringValue"]
        for rs in trace.get("resourceSpans", [])
        for a in rs.get("resource", {}).get("attributes", [])
        if a["key"] == "service.name"
    }


def _trace_through_both_services(stack: StackState) -> str:
    """A recent shop-frontend trace whose spans come from both shop services."""

    def find() -> str:
        now = dt.datetime.now(dt.UTC)
        found = _jaeger(
            stack,
            "/traces",
            **{
                "query.service_name": cv.SHOP_FRONTEND,
                "query.start_time_min": (now - dt.timedelta(minutes=10)).isoformat(),
                "query.start_time_max": now.isoformat(),
                "query.num_traces": "50",
            },
        )["result"]
        by_trace: dict[str, set[str]] = {}
        for rs in found.get("resourceSpans", []):
            service = _services_of({"resourceSpans": [rs]})
            for ss in rs.get("scopeSpans", []):
                for span in ss.get("spans", []):
                    by_trace.setdefault(span["traceId"], set()).update(service)
        both = [t for t, services in by_trace.items() if set(SHOP) <= services]
        if not both:
            raise AssertionError(f"{len(by_trace)} traces, none through both shop services")
        return both[0]

    return poll_until(
        find, what="a trace through both shop services", timeout=DATA_TIMEOUT, interval=5
    )


def _open_trace(page: Page, stack: StackState, trace_id: str) -> str:
    """Opens the trace view; returns the gantt chart's text once spans are drawn."""
    if f"/traces/{trace_id}" not in page.url:
        page.goto(f"{stack.url(cv.CONSOLE)}/traces/{trace_id}")
    gantt = page.get_by_test_id("trace-gantt")
    gantt.get_by_text(cv.SHOP_BACKEND).first.wait_for()
    return gantt.inner_text()


def test_a_trace_found_by_id_opens_with_spans_from_both_shop_services(
    stack: StackState, page: Page, page_events: PageEvents
) -> None:
    trace_id = _trace_through_both_services(stack)
    text = _open_trace(page, stack, trace_id)
    screenshot(page, "console-trace")
    for service in SHOP:
        assert service in text, f"trace {trace_id}: no span of {service} in the gantt chart"
    assert trace_id in page.inner_text("h5")
    page_events.assert_clean()


def test_trace_search_by_service_and_duration_lists_traces_that_open(
    stack: StackState, page: Page, page_events: PageEvents
) -> None:
    _trace_through_both_services(stack)  # traces exist
    page.goto(f"{stack.url(cv.CONSOLE)}/traces?service={cv.SHOP_FRONTEND}&minDuration=1ms&limit=10")
    results = page.get_by_test_id("trace-results")
    first = results.locator('a[href^="/traces/"]').first
    first.wait_for()
    screenshot(page, "console-trace-search")
    first.click()
    page.wait_for_url("**/traces/*")
    assert cv.SHOP_FRONTEND in _open_trace(page, stack, page.url.rsplit("/", 1)[-1])
    page_events.assert_clean()


def test_landing_page_shows_each_components_health_and_the_uis(
    stack: StackState, page: Page, page_events: PageEvents
) -> None:
    page.goto(stack.url(cv.CONSOLE))
    rows = page.locator("[data-component]")
    rows.first.wait_for()
    poll_until(
        lambda: rows.count() == len(stack.components) or None,
        what="a row per component",
        timeout=30,
    )
    shown = {
        rows.nth(i).get_attribute("data-component"): rows.nth(i).get_attribute("data-status")
        for i in range(rows.count())
    }
    assert shown == dict.fromkeys(stack.components, "ready")
    prometheus = page.locator('[data-ui="Prometheus"] a')
    assert prometheus.get_attribute("href") == stack.url("prometheus") + "/"
    screenshot(page, "console-landing")
    page_events.assert_clean()
