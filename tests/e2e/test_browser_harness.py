"""The browser harness itself: Debian Chromium renders a loopback page, reports what went
wrong on it, and refuses every request that would leave 127.0.0.0/8."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from browser import PageEvents, screenshot
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

# .invalid never resolves (RFC 6761), and the browser resolves no name at all: if the routes
# failed, these requests would still go nowhere.
OUTSIDE = "http://outside.invalid"
PAGES = {
    "/": b"""<!doctype html><title>harness</title>
<h1 id="title">kansoku harness</h1>
<svg width="200" height="80"><path d="M0 70 L50 10 L100 40 L150 20 L200 60" stroke="blue"
 fill="none"/></svg>""",
    "/broken": b"""<!doctype html><title>broken</title>
<script>console.error("deliberate console error"); fetch("/missing");</script>""",
    "/outside": f"""<!doctype html><title>outside</title>
<img src="{OUTSIDE}/pixel.png">
<script>
fetch("{OUTSIDE}/api").catch(() => {{}});
new WebSocket("ws://outside.invalid/socket");
</script>""".encode(),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body or b"not found")

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet test output


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_loopback_page_renders_cleanly_and_screenshots(
    page: Page, page_events: PageEvents, site: str
) -> None:
    page.goto(site + "/")
    assert page.locator("#title").inner_text() == "kansoku harness"
    assert page.locator("svg path").get_attribute("d", timeout=5_000)
    path = screenshot(page, "harness loopback page")
    assert path.name == "harness-loopback-page.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 1_000
    page_events.assert_clean()


def test_console_errors_and_http_errors_are_collected(
    page: Page, page_events: PageEvents, site: str
) -> None:
    page.goto(site + "/broken")
    page.wait_for_load_state("networkidle")
    assert any("deliberate console error" in m for m in page_events.console_errors)
    assert any(
        m.startswith("404 GET") and m.endswith("/missing") for m in page_events.error_responses
    )
    with pytest.raises(AssertionError, match="deliberate console error"):
        page_events.assert_clean()


def test_requests_outside_loopback_are_blocked(
    page: Page, page_events: PageEvents, site: str
) -> None:
    page.goto(site + "/outside")
    page.wait_for_load_state("networkidle")
    blocked = page_events.take_blocked()  # taken, so this deliberate case does not fail teardown
    assert f"{OUTSIDE}/pixel.png" in blocked
    assert f"{OUTSIDE}/api" in blocked
    assert "ws://outside.invalid/socket" in blocked
    assert not page_events.failed_requests, "a blocked request is reported once, as blocked"
