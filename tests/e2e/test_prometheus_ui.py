"""The upstream Prometheus UI, built from the module's web/ui, on the live stack in Chromium:
a query for a series the shop really writes, its graph drawn, no error anywhere."""

from __future__ import annotations

import pytest
from browser import PageEvents, screenshot
from playwright.sync_api import Page

from kansoku import conventions as cv
from kansoku.stack.state import StackState
from kansoku.tools import versions, webui
from kansoku.verify.checks import prometheus_query
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.e2e

REQUESTS = cv.METRICS_BY_OTEL_NAME["http.server.requests"].prometheus_name
QUERY = f"sum by (job) (rate({REQUESTS}[1m]))"
# Pixels of the plotted line: uPlot draws series in saturated colours from its pool, while
# axes, ticks and grid are grey, so a count of coloured pixels says a line with points exists.
COLOURED_PIXELS = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 80) count++;
  }
  return count;
}"""


@pytest.fixture(scope="module")
def series_present(stack: StackState) -> str:
    """The Prometheus URL, once the shop's request rate is there to be graphed."""
    recipe = webui.recipe_named(versions.load(), "prometheus-ui")
    assert recipe is not None
    assert webui.installed(recipe), "the Prometheus UI is not built: kansoku tools install"
    url = stack.url("prometheus")
    poll_until(
        lambda: prometheus_query(url, QUERY) or None,
        what=f"a result for {QUERY} in Prometheus",
        timeout=240,
    )
    return url


def test_query_page_runs_a_query_and_draws_its_graph(
    page: Page, page_events: PageEvents, series_present: str
) -> None:
    response = page.goto(series_present + "/query")
    assert response is not None
    assert response.status == 200
    editor = page.locator(".cm-content").first
    editor.click()
    editor.fill(QUERY)
    assert editor.inner_text() == QUERY
    page.get_by_role("button", name="Execute").click()
    page.get_by_role("tab", name="Graph").click()
    # 1h -> 30m -> 15m -> 5m: the stack is minutes old, and over an hour its line is a sliver.
    for _ in range(3):
        page.get_by_role("button", name="Decrease range").click()
    assert page.get_by_role("textbox", name="Range", exact=True).input_value() == "5m"
    canvas = page.locator(".uplot canvas").first
    canvas.wait_for(state="visible")
    # One legend row per series the query returned, labelled with its job.
    labels = page.locator(".uplot .u-legend .u-series .u-label")
    labels.first.wait_for(state="visible")
    texts = labels.all_inner_texts()
    assert any(cv.SHOP_BACKEND in text for text in texts), f"legend: {texts}"
    try:
        page.wait_for_function(
            f"() => ({COLOURED_PIXELS})(document.querySelector('.uplot canvas')) > 200"
        )
    finally:
        screenshot(page, "prometheus-query-graph")  # also of a failure, to see why
    drawn = canvas.evaluate(COLOURED_PIXELS)
    assert drawn > 200, f"the graph canvas shows no plotted line ({drawn} coloured pixels)"
    for banner in ("Error executing query", "Empty query result", "No data queried yet"):
        assert page.get_by_text(banner).count() == 0, f"the page shows {banner!r}"
    assert screenshot(page, "prometheus-query-graph").stat().st_size > 10_000
    page_events.assert_clean()
