"""Alerts reach a person: from a fault injected into shop-backend to a page at the local
receiver, through the real Prometheus and Alertmanager of a local stack, and back to resolved.

The tests run in file order on one incident (module fixture ``incident``): the page arrives
within the bound computed from the committed configuration; the Alertmanager UI and API show
it; the SLO's ticket is inhibited; a silence made with amtool stops the next notification;
clearing the fault brings the resolved notification. The console's alerts page shows the page
with the notification that was delivered, and its links open this stack's runbook and the
console's SLO dashboard.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest
from alerting_support import (
    SLO_ID,
    am_alerts,
    amtool,
    matching,
    page_bound,
    post_alert,
    prometheus_alerts,
    received,
)
from browser import PageEvents, screenshot
from playwright.sync_api import Page

from kansoku import conventions as cv
from kansoku.alerting.notifications import Notification
from kansoku.alerting.timing import route_timing
from kansoku.stack.state import StackState
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.e2e
PAGE = {"alertname": cv.SLO_ALERT_BURN, cv.SLO_LABEL_ID: SLO_ID, cv.SLO_LABEL_SEVERITY: "page"}
FIRING_PAGE = (
    f'ALERTS{{alertname="{cv.SLO_ALERT_BURN}", {cv.SLO_LABEL_ID}="{SLO_ID}", '
    f'{cv.SLO_LABEL_SEVERITY}="page", alertstate="firing"}}'
)


@dataclass
class Incident:
    stack: StackState
    start: int  # index of the first notification of this incident in the receiver's log
    injected_at: float
    page: Notification | None = None
    page_after: float = 0.0
    notes: dict[str, float] = field(default_factory=dict)

    def faults(self, rules: dict[str, object]) -> None:
        url = f"{self.stack.url('shop-backend')}{cv.ADMIN_FAULTS_PATH}"
        headers = {"Authorization": f"Bearer {os.environ[cv.ENV_ADMIN_TOKEN]}"}
        httpx.put(url, json={"rules": rules}, headers=headers, timeout=10).raise_for_status()

    def new(self) -> list[Notification]:
        return received(self.stack, self.start)


@pytest.fixture(scope="module")
def incident(stack: StackState) -> Iterator[Incident]:
    """shop-backend answers every request with 503 until the resolved test clears it."""
    poll_until(  # an earlier test's burn must be over, or no new page would be sent
        lambda: None if prometheus_alerts(stack, FIRING_PAGE) else True,
        what=f"no page firing for {SLO_ID} before the fault",
        timeout=900,
        interval=10,
    )
    current = Incident(stack, len(received(stack)), time.monotonic())
    current.faults({"*": {"error_rate": 1.0}})
    try:
        yield current
    finally:
        current.faults({})


def test_the_page_reaches_the_shop_pager_within_the_computed_bound(incident: Incident) -> None:
    bound = page_bound()

    def page() -> Notification | None:
        hits = [n for n in matching(incident.new(), **PAGE) if n.status == "firing"]
        return hits[0] if hits else None

    incident.page = poll_until(
        page, what=f"a firing {SLO_ID} page at the local receiver", timeout=bound.total, interval=2
    )
    incident.page_after = time.monotonic() - incident.injected_at
    print(f"page after {incident.page_after:.1f}s (bound {bound.total:.1f}s: {bound})")
    labels = incident.page.labels
    assert incident.page.receiver == "shop-page"
    assert labels[cv.LABEL_TEAM] == "shop"
    assert labels[cv.LABEL_CLUSTER] == cv.LOCAL_CLUSTER
    assert labels[cv.LABEL_ENVIRONMENT] == cv.LOCAL_ENVIRONMENT
    assert labels[cv.SLO_LABEL_SERVICE] == cv.SHOP_BACKEND
    # Rendered by Prometheus from the recorded budget: a number, overspent by now.
    assert re.fullmatch(r"-?\d+\.\d%", incident.page.annotations["budget_left"])
    windows = {
        n.labels[cv.SLO_LABEL_LONG_WINDOW]
        for n in matching(incident.new(), **PAGE)
        if n.status == "firing"
    }
    assert "1h" in windows


def test_the_page_links_are_absolute_and_open(incident: Incident) -> None:
    assert incident.page is not None, "the page test runs first"
    links = incident.page.links
    runbook = urlsplit(links["runbook_url"])
    assert (runbook.scheme, runbook.hostname) == ("http", "127.0.0.1")
    assert links["runbook_url"] == f"{cv.RUNBOOK_BASE_URL}{cv.SLO_RUNBOOK_PATH}"
    # The committed link names the default port; this stack's receiver runs on a free one.
    page = httpx.get(f"{incident.stack.url('alert-receiver')}{runbook.path}", timeout=10)
    assert page.status_code == 200
    # GitHub-style anchors: the heading lowercased, punctuation dropped, spaces as dashes.
    headings = re.findall(r"^#+ (.+)$", page.text, re.MULTILINE)
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}
    assert runbook.fragment in anchors
    dashboard = urlsplit(links["dashboard"])
    assert dashboard.scheme == "http"
    assert dashboard.path == f"/d/{cv.DASHBOARD_SLO_UID}"


def test_the_console_alerts_page_shows_the_page_and_its_notification_with_working_links(
    incident: Incident, page: Page, page_events: PageEvents
) -> None:
    assert incident.page is not None, "the page test runs first"
    console = incident.stack.url(cv.CONSOLE)
    page.goto(f"{console}/alerts")
    firing = page.locator(
        f'[data-alert="{cv.SLO_ALERT_BURN}"][data-severity="page"][data-slo="{SLO_ID}"]'
    )
    firing.first.wait_for()  # the page refreshes every 10 s; Alertmanager has it by now
    assert firing.first.get_attribute("data-state") in ("firing", "silenced", "inhibited")
    assert cv.SHOP_BACKEND in firing.first.inner_text()
    # The very notification the receiver logged for this incident, beside it.
    note = page.locator(f'[data-received="{incident.page.received_at}"][data-slo="{SLO_ID}"]')
    note.first.wait_for()
    assert note.first.get_attribute("data-receiver") == "shop-page"
    print(f"screenshot: {screenshot(page, 'console-alerts')}")
    links = {
        name: note.first.locator(f'[data-link="{name}"]').get_attribute("href")
        for name in ("runbook", "dashboard")
    }
    page.goto(console)
    count = page.get_by_test_id("firing-pages")
    count.wait_for()
    poll_until(
        lambda: int(count.get_attribute("data-count") or 0) >= 1 or None,
        what="the landing page counting the firing page",
        timeout=60,
    )
    # The links lead to this stack's runbook and the console's SLO dashboard.
    runbook = links["runbook"] or ""
    assert runbook.startswith(incident.stack.url("alert-receiver") + "/docs/"), runbook
    # A Markdown file, which a browser may offer to save rather than show: fetched instead.
    doc = httpx.get(runbook, timeout=10)
    assert doc.status_code == 200
    assert urlsplit(runbook).fragment in doc.text.lower().replace(" ", "-")
    page.goto(links["dashboard"] or "")
    page.wait_for_url(f"**/dashboards/{cv.DASHBOARD_SLO_UID}")
    page.locator("h5").first.wait_for()
    assert "SLO" in page.locator("h5").first.inner_text()
    page_events.assert_clean()


def test_the_alertmanager_ui_answers_with_the_firing_page(
    incident: Incident, page: Page, page_events: PageEvents
) -> None:
    url = incident.stack.url("alertmanager")
    ui = httpx.get(url + "/", timeout=10)
    assert ui.status_code == 200
    assert "<title>Alertmanager</title>" in ui.text
    # The UI's alert list is what this API returns; the page is on it, active.
    alerts = am_alerts(incident.stack, **PAGE)
    assert alerts, "the page is not in Alertmanager"
    assert {a["status"]["state"] for a in alerts} == {"active"}
    assert {r["name"] for a in alerts for r in a["receivers"]} == {"shop-page"}
    # The UI itself, in a browser: the alert list filtered to the SLO shows the page.
    page.goto(f'{url}/#/alerts?filter={{{cv.SLO_LABEL_ID}="{SLO_ID}"}}')
    page.get_by_text(cv.SLO_ALERT_BURN).first.wait_for()
    page.get_by_text(f'{cv.SLO_LABEL_ID}="{SLO_ID}"').first.wait_for()
    print(f"screenshot: {screenshot(page, 'alertmanager-firing-page')}")
    page_events.assert_clean()


def test_the_slo_ticket_is_inhibited_while_the_page_fires(incident: Incident) -> None:
    stack = incident.stack
    ticket = {**PAGE, cv.SLO_LABEL_SEVERITY: "ticket"}
    suppressed = poll_until(
        lambda: [a for a in am_alerts(stack, **ticket) if a["status"]["inhibitedBy"]] or None,
        what=f"the {SLO_ID} ticket in Alertmanager, inhibited",
        timeout=180,
        interval=5,
    )
    assert {a["status"]["state"] for a in suppressed} == {"suppressed"}
    # A ticket of another SLO, sent now on the same route, shows when the inhibited one
    # would have been delivered: its group_wait has passed for both once it arrives.
    control = {**ticket, cv.SLO_LABEL_ID: f"control-{uuid.uuid4().hex[:8]}", cv.LABEL_TEAM: "shop"}
    post_alert(stack, control)
    poll_until(
        lambda: matching(incident.new(), **control) or None,
        what="the control ticket at the local receiver",
        timeout=route_timing("ticket")["group_wait"] + 90,
        interval=3,
    )
    assert not matching(incident.new(), **ticket), "the inhibited ticket was delivered"
    post_alert(stack, control, resolved=True)


def test_a_silence_made_with_amtool_stops_the_next_notification(incident: Incident) -> None:
    stack = incident.stack
    run = uuid.uuid4().hex[:8]
    silenced = {"alertname": f"SilenceProbe{run}", cv.SLO_LABEL_SEVERITY: "page"}
    control = {"alertname": f"SilenceControl{run}", cv.SLO_LABEL_SEVERITY: "page"}
    for labels in (silenced, control):
        post_alert(stack, labels)
    wait = route_timing("page")["group_wait"] + 60
    for labels in (silenced, control):
        poll_until(
            lambda labels=labels: matching(incident.new(), **labels) or None,
            what=f"the first notification of {labels['alertname']}",
            timeout=wait,
            interval=2,
        )
    silence_id = amtool(
        stack,
        "silence",
        "add",
        f"alertname={silenced['alertname']}",
        "--duration=1h",
        "--author=kansoku-e2e",
        "--comment=the next notification must not be sent",
    ).strip()
    assert silence_id in amtool(stack, "silence", "query", "-q")
    # Resolving both makes Alertmanager notify each group again at its next group_interval.
    for labels in (silenced, control):
        post_alert(stack, labels, resolved=True)
    poll_until(
        lambda: [n for n in matching(incident.new(), **control) if n.status == "resolved"] or None,
        what="the resolved notification of the control alert",
        timeout=route_timing("page")["group_interval"] * 2 + 60,
        interval=2,
    )
    statuses = [n.status for n in matching(incident.new(), **silenced)]
    assert statuses == ["firing"], "a notification of the silenced alert was sent"


def test_clearing_the_fault_brings_the_resolved_notification(incident: Incident) -> None:
    incident.faults({})
    cleared = time.monotonic()
    timing = route_timing("page")
    # The 5m window must drain of errors, then the next group_interval sends the update.
    timeout = 5 * 60 + timing["group_interval"] + 180

    def resolved() -> Notification | None:
        hits = [
            n
            for n in matching(incident.new(), **PAGE, **{cv.SLO_LABEL_LONG_WINDOW: "1h"})
            if n.status == "resolved"
        ]
        return hits[0] if hits else None

    notification = poll_until(
        resolved, what=f"the resolved 1h/5m page of {SLO_ID}", timeout=timeout, interval=5
    )
    print(f"resolved notification {time.monotonic() - cleared:.1f}s after clearing the fault")
    assert notification.receiver == "shop-page"
    assert notification.ends_at > notification.starts_at
