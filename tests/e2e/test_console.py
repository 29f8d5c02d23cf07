"""The console in a real browser, on the live stack with the shop's load.

The Overview renders every shown panel with the shop's load alone; every dashboard loads with
no console error and every panel a local user sees renders data (not "No data", not an error),
each named on failure, while only the cluster-only rows stay collapsed, with a note; a trace
found by id opens with spans from both shop services; a trace search finds traces; an exemplar
link resolves to its trace; the landing page shows every component's health. A screenshot of
each page is kept with the test output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import httpx
import pytest
from browser import PageEvents, screenshot, screenshot_dir
from console_support import DATA_TIMEOUT, settled, with_errors
from playwright.sync_api import Page

from kansoku import conventions as cv
from kansoku import locations
from kansoku.dashboards import catalog
from kansoku.stack.state import StackState
from kansoku.verify.poll import PollTimeoutError, poll_until

pytestmark = pytest.mark.e2e
# The module's fixtures (tests/e2e/console_support.py).
__all__ = ["settled", "with_errors"]
RENDER_TIMEOUT = 120
IDS = [b.uid for b in catalog.BOARDS]
SHOP = (cv.SHOP_FRONTEND, cv.SHOP_BACKEND)
EXEMPLAR_PANEL = "request-duration-p50-p95-p99"  # Application: server latency with exemplars

# Each panel's state as the page shows it, in layout order.
_PANEL_STATES = """() => [...document.querySelectorAll('section[data-testid="panel"]')].map(s => {
  const id = s.getAttribute('aria-labelledby');
  const titleEl = document.getElementById(id + '-title');
  const title = titleEl ? titleEl.textContent.trim() : '';
  const text = s.innerText.trim();
  const content = s.querySelector('canvas, table tbody tr, [role="row"], [role="gridcell"]');
  const loading = '[aria-label="Loading..."], [aria-label="loading"], .MuiSkeleton-root';
  let state = 'data';
  if (s.querySelector('[aria-label="panel errors"], .MuiAlert-colorError')) state = 'error';
  else if (/\\bNo data\\b|No traces|No logs to display/i.test(text)) state = 'no data';
  else if (!content && s.querySelector(loading)) state = 'loading';
  else if (!content && text === title) state = 'empty';
  return {title, state, text: text.slice(0, 160).replace(/\\s+/g, ' ')};
})"""


def _titles(board: catalog.Board, *, shown: bool = True) -> list[str]:
    """The panel titles in layout order: those in open rows (what a person sees), or those
    in collapsed ones (``shown=False``: the rows only a cluster fills)."""
    spec = catalog.load_perses(locations.project_root(), board)["spec"]
    refs = [
        i["content"]["$ref"].split("/")[-1]
        for g in spec["layouts"]
        if g["spec"].get("display", {}).get("collapse", {}).get("open", True) == shown
        for i in g["spec"]["items"]
    ]
    return [spec["panels"][r]["spec"]["display"]["name"] for r in refs]


# One pass down the page in the page itself: one round trip instead of one per panel.
_SCROLL_THROUGH = """async (pause) => {
  const sections = [...document.querySelectorAll('section[data-testid="panel"]')];
  for (const s of sections) {
    s.scrollIntoView({block: 'center'});
    await new Promise(done => setTimeout(done, pause));
  }
  return sections.length;
}"""


def _panel_states(page: Page, expected: int, seen: dict[int, dict[str, str]]) -> None:
    """Scrolls through the dashboard (Perses mounts and queries only what is near the view)
    until no new panel appears, recording each panel's best state so far.

    Scrolling is done in the page (``scrollIntoView``): Playwright's own scrolling waits for
    the layout to be still, which a dashboard that redraws on every answer rarely is.
    """
    sections = page.locator('section[data-testid="panel"]')
    for _ in range(expected):
        count = page.evaluate(_SCROLL_THROUGH, 150)
        for i, state in enumerate(page.evaluate(_PANEL_STATES)):
            if seen.get(i, {}).get("state") != "data":
                seen[i] = state
        if sections.count() == count:
            break
    if len(seen) < expected:
        raise AssertionError(f"{len(seen)} of {expected} panels on the page")
    pending = [s["title"] for s in seen.values() if s["state"] in ("loading", "empty", "no data")]
    if pending:
        raise AssertionError(f"panels without data yet: {pending}")


def _viewport_screenshot(page: Page, name: str) -> None:
    """The top of the page as a person first sees it (a full-page capture resizes the
    viewport, and Perses then remounts every panel half-loaded)."""
    page.locator("h5").first.evaluate("e => e.scrollIntoView()")
    page.wait_for_timeout(1000)
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=directory / f"{name}.png")


def test_the_overview_with_the_shops_load_alone_renders_every_shown_panel(
    stack: StackState, page: Page, page_events: PageEvents
) -> None:
    """Before any fault of this module: the Overview as a new user first sees it (its
    screenshot, ``console-overview-load-only.png``, is the one docs/console.md shows)."""
    board = next(b for b in catalog.BOARDS if b.uid == cv.DASHBOARD_OVERVIEW_UID)
    titles = _titles(board)
    _trace_through_both_services(stack)  # the shop's load has gone through both services
    seen: dict[int, dict[str, str]] = {}

    def rendered() -> bool:
        # Reloaded as a person would: on a stack a minute old a series has one sample, which
        # Perses draws as "No data", and with auto-refresh off nothing asks again.
        page.goto(f"{stack.url(cv.CONSOLE)}/dashboards/{board.uid}?refresh=0s")
        page.wait_for_selector('section[data-testid="panel"]')
        seen.clear()
        poll_until(
            lambda: _panel_states(page, len(titles), seen) or True,
            what=f"{board.uid}: every shown panel rendered",
            timeout=60,
            interval=2,
        )
        return True

    poll_until(
        rendered,
        what=f"{board.uid}: every shown panel rendered with the shop's load alone",
        timeout=2 * DATA_TIMEOUT,
        interval=5,
    )
    _viewport_screenshot(page, "console-overview-load-only")
    assert all(s["state"] == "data" for s in seen.values()), seen
    page_events.assert_clean()


@pytest.mark.parametrize("board", catalog.BOARDS, ids=IDS)
def test_every_dashboard_panel_renders_data_without_errors(
    stack: StackState, settled: None, page: Page, page_events: PageEvents, board: catalog.Board
) -> None:
    titles = _titles(board)
    # Auto-refresh off, as a person may set it: with its 30 s refresh a dashboard of 24 panels
    # is more work than the page gets done on a busy two-core machine, and it falls behind
    # for good (a pass down the Overview took 81 s and then never ended, beside two busy CPU
    # loops; with refresh off, 3.6 s every time). Every panel still queries when it mounts.
    page.goto(f"{stack.url(cv.CONSOLE)}/dashboards/{board.uid}?refresh=0s")
    page.wait_for_selector('section[data-testid="panel"]')
    seen: dict[int, dict[str, str]] = {}
    with contextlib.suppress(PollTimeoutError):  # the assertion below names each panel
        poll_until(
            lambda: _panel_states(page, len(titles), seen) or True,
            what=f"{board.uid}: every panel rendered",
            timeout=RENDER_TIMEOUT,
            interval=2,
        )
    _viewport_screenshot(page, f"console-{board.uid}")
    states = [seen[i] for i in sorted(seen)]
    assert len(states) == len(titles), f"{board.uid}: {len(states)} panels, expected {len(titles)}"
    # Every panel a local user sees shows data or says in words why there is none.
    failures = [
        f"{board.uid} / {title}: {shown['state']} ({shown['text']})"
        for title, shown in zip(titles, states, strict=True)
        if shown["state"] != "data"
    ]
    assert not failures, "panels that did not render data:\n  " + "\n  ".join(failures)
    # What stays collapsed is only what a cluster fills, and the page says so.
    assert set(_titles(board, shown=False)) <= set(board.local_exempt)
    if _titles(board, shown=False):
        assert "cluster" in page.get_by_test_id("cluster-only-note").inner_text()
    page_events.assert_clean()


def _jaeger(stack: StackState, path: str, **params: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{stack.url(cv.CONSOLE)}/api/jaeger/api/v3{path}", params=params, timeout=30
    )
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def _has_trace(stack: StackState, trace_id: str) -> bool:
    url = f"{stack.url(cv.CONSOLE)}/api/jaeger/api/v3/traces/{trace_id}"
    return httpx.get(url, timeout=30).status_code == httpx.codes.OK


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


def _open_trace(page: Page, stack: StackState, trace_id: str, drawn: str) -> str:
    """Opens the trace view; returns the gantt chart's text once a span of the service
    ``drawn`` is there."""
    if f"/traces/{trace_id}" not in page.url:
        page.goto(f"{stack.url(cv.CONSOLE)}/traces/{trace_id}")
    gantt = page.get_by_test_id("trace-gantt")
    gantt.get_by_text(drawn).first.wait_for()
    return gantt.inner_text()


def test_a_trace_found_by_id_opens_with_spans_from_both_shop_services(
    stack: StackState, page: Page, page_events: PageEvents
) -> None:
    trace_id = _trace_through_both_services(stack)
    text = _open_trace(page, stack, trace_id, cv.SHOP_BACKEND)
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
    # The newest trace of the frontend may have no backend span (a page the frontend serves
    # alone, or the backend's spans still in flight): it is the frontend's span that must show.
    trace_id = page.url.rsplit("/", 1)[-1]
    assert cv.SHOP_FRONTEND in _open_trace(page, stack, trace_id, cv.SHOP_FRONTEND)
    page_events.assert_clean()


def test_an_exemplar_link_resolves_to_its_trace(
    stack: StackState, settled: None, page: Page, page_events: PageEvents
) -> None:
    url = f"{stack.url(cv.CONSOLE)}/exemplars/{cv.DASHBOARD_APPLICATION_UID}/{EXEMPLAR_PANEL}"

    def exemplar_links() -> int:
        page.goto(url)
        links = page.locator("[data-trace-id]")
        links.first.wait_for(timeout=10_000)
        return links.count()

    poll_until(
        exemplar_links,
        what="exemplars of the request duration panel",
        timeout=DATA_TIMEOUT,
        interval=5,
    )
    shown = [
        i
        for i in page.locator("[data-trace-id]").evaluate_all(
            "links => links.map(a => a.dataset.traceId)"
        )
        if i
    ]
    assert all(len(i) == 32 for i in shown), shown

    def stored() -> str | None:  # the newest requests may still be in the collector's batch
        return next((i for i in shown if _has_trace(stack, i)), None)

    trace_id = poll_until(stored, what=f"one of {shown[:3]}… in Jaeger", timeout=60, interval=2)
    link = page.locator(f'[data-trace-id="{trace_id}"]').first
    link.click()
    page.wait_for_url(f"**/traces/{trace_id}")
    text = _open_trace(page, stack, trace_id, cv.SHOP_BACKEND)
    assert cv.SHOP_BACKEND in text
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
