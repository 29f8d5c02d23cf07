"""Logs in the console, as a person uses them, on the live stack with the shop's load.

From an exemplar to its trace, the trace's log records, the same records on the logs page
and back to the trace, all inside the console; the Application dashboard's log panel shows
error records; a LogsQL syntax error shows VictoriaLogs' own message; and every link that
leaves the console for an upstream UI is followed and lands on what it names. Each step's
screenshot is kept (``walk-*.png``, ``logs-*.png``, ``upstream-*.png``).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from browser import PageEvents, screenshot
from console_support import DATA_TIMEOUT, settled, with_errors
from playwright.sync_api import Page

from kansoku import conventions as cv
from kansoku.stack.state import StackState
from kansoku.verify import logsql
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.e2e
# The module's fixtures (tests/e2e/console_support.py).
__all__ = ["settled", "with_errors"]
EXEMPLAR_PANEL = "request-duration-p50-p95-p99"  # Application: server latency with exemplars
BAD_LOGSQL = 'error AND ("unclosed'


def _exemplar_with_logs(stack: StackState, page: Page) -> str:
    """A trace id on the exemplars page whose trace is in Jaeger and has log records (a
    failed request logs; with a share of requests failing, some exemplars are of those)."""
    url = f"{stack.url(cv.CONSOLE)}/exemplars/{cv.DASHBOARD_APPLICATION_UID}/{EXEMPLAR_PANEL}"

    def find() -> str | None:
        page.goto(url)
        links = page.locator("[data-trace-id]")
        links.first.wait_for(timeout=10_000)
        shown = links.evaluate_all("links => links.map(a => a.dataset.traceId)")
        for trace_id in shown:
            stored = httpx.get(
                f"{stack.url('jaeger-query')}/api/v3/traces/{trace_id}", timeout=10
            ).status_code
            if stored == httpx.codes.OK and logsql.query(
                stack.url("victorialogs"), logsql.by_trace_id(trace_id), limit=1
            ):
                return str(trace_id)
        return None

    return poll_until(
        find, what="an exemplar whose trace has log records", timeout=DATA_TIMEOUT, interval=5
    )


def _inside(page: Page, stack: StackState) -> None:
    assert page.url.startswith(stack.url(cv.CONSOLE) + "/"), f"left the console: {page.url}"


def test_exemplar_to_trace_to_its_logs_and_back_inside_the_console(
    stack: StackState, settled: None, page: Page, page_events: PageEvents
) -> None:
    trace_id = _exemplar_with_logs(stack, page)
    screenshot(page, "walk-1-exemplars")
    page.locator(f'[data-trace-id="{trace_id}"]').first.click()
    page.wait_for_url(f"**/traces/{trace_id}")
    gantt = page.get_by_test_id("trace-gantt")
    gantt.get_by_text(cv.SHOP_BACKEND).first.wait_for()
    # The trace's records under the gantt chart, each linking to its span.
    records = page.get_by_test_id("trace-log-records").locator("[data-log-record]")
    records.first.wait_for()
    assert set(records.evaluate_all("rows => rows.map(r => r.dataset.traceId)")) == {trace_id}
    span_links = page.get_by_test_id("trace-log-records").locator('[data-link="span"]')
    assert span_links.count() >= 1, "no record of the trace carries a span id"
    screenshot(page, "walk-2-trace-and-its-logs")
    span_id = span_links.first.inner_text().strip()
    span_links.first.click()
    page.wait_for_url(f"**/traces/{trace_id}?span={span_id}")
    gantt.get_by_text(f"span {span_id} selected").wait_for()
    _inside(page, stack)
    # The same records on the logs page, each linking back to the trace.
    page.get_by_test_id("trace-logs-page").click()
    page.wait_for_url("**/logs?**")
    listed = page.get_by_test_id("log-records").locator("[data-log-record]")
    listed.first.wait_for()
    assert set(listed.evaluate_all("rows => rows.map(r => r.dataset.traceId)")) == {trace_id}
    hits = page.get_by_test_id("logs-hits")
    hits.wait_for()
    assert int(hits.get_attribute("data-total") or 0) >= listed.count()
    screenshot(page, "walk-3-logs-of-the-trace")
    page.get_by_test_id("log-records").locator('[data-link="trace"]').first.click()
    page.wait_for_url(f"**/traces/{trace_id}**")
    gantt.get_by_text(cv.SHOP_BACKEND).first.wait_for()
    screenshot(page, "walk-4-back-to-the-trace")
    _inside(page, stack)
    page_events.assert_clean()


def test_the_application_log_panel_shows_error_records(
    stack: StackState, settled: None, page: Page, page_events: PageEvents
) -> None:
    page.goto(f"{stack.url(cv.CONSOLE)}/dashboards/{cv.DASHBOARD_APPLICATION_UID}?refresh=0s")
    # Perses mounts a panel only near the view: down to the logs row first.
    page.get_by_text("Logs (VictoriaLogs)").first.scroll_into_view_if_needed()
    page.mouse.wheel(0, 600)
    panel = page.locator('section[data-testid="panel"]', has_text="Error logs of")
    panel.first.wait_for()
    # Each line: severity, service, trace id, message (VictoriaLogsLogQuery into LogsTable).
    line = panel.first.get_by_text(f"ERROR {cv.SHOP_FRONTEND} trace=").first
    line.wait_for()
    assert "No logs to display" not in panel.first.inner_text()
    screenshot(page, "logs-application-panel")
    page_events.assert_clean()


def test_a_logsql_syntax_error_shows_victorialogs_message(
    stack: StackState, page: Page, page_events: PageEvents
) -> None:
    with pytest.raises(RuntimeError) as refused:
        logsql.query(stack.url("victorialogs"), BAD_LOGSQL)
    reason = str(refused.value).split("): ", 1)[1]
    page.goto(f"{stack.url(cv.CONSOLE)}/logs?query={quote(BAD_LOGSQL)}")
    shown = page.get_by_test_id("logs-error")
    shown.first.wait_for()
    text = " ".join(shown.first.inner_text().split())
    assert BAD_LOGSQL in text
    assert " ".join(reason.split())[:60] in text, (reason, text)
    screenshot(page, "logs-syntax-error")
    # The refused queries (HTTP 400, and the query library logging the error) are the only
    # complaints of the page.
    expected = ("400", "refused the LogsQL query")
    unexpected = [p for p in page_events.problems() if not any(e in p for e in expected)]
    assert not unexpected, unexpected


def test_the_upstream_uis_linked_from_the_console_open_on_what_they_name(
    stack: StackState, settled: None, page: Page, page_events: PageEvents
) -> None:
    console = stack.url(cv.CONSOLE)
    page.goto(console)
    page.locator("[data-ui]").first.wait_for()
    links = {
        str(a.get_attribute("data-ui")): str(a.locator("a").get_attribute("href"))
        for a in page.locator("[data-ui]").all()
    }
    assert set(links) == {"Prometheus", "Alertmanager", "VictoriaLogs"}
    for name, href in links.items():
        page.goto(href)
        page.wait_for_load_state()
        poll_until(
            lambda name=name: name.lower() in page.title().lower() or None,
            what=f"{name}'s UI at {href} (title {page.title()!r})",
            timeout=60,
        )
        screenshot(page, f"upstream-{name}")
    # The trace page's link opens VictoriaLogs' UI on that trace's records.
    trace_id = _exemplar_with_logs(stack, page)
    page.goto(f"{console}/traces/{trace_id}")
    href = str(page.get_by_test_id("trace-logs").get_attribute("href"))
    page.goto(href)
    query = page.locator("textarea").first
    query.wait_for()
    poll_until(
        lambda: query.input_value() == logsql.by_trace_id(trace_id) or None,
        what=f"VictoriaLogs' UI showing the query of trace {trace_id}",
        timeout=60,
    )
    page.get_by_text("Last 1 hour").first.wait_for()
    screenshot(page, "upstream-victorialogs-trace")
    # Leaving a UI aborts what it still had in flight (Prometheus's live notifications, a
    # query); anything else is a problem.
    problems = [p for p in page_events.problems() if "net::ERR_ABORTED" not in p]
    assert not problems, problems
