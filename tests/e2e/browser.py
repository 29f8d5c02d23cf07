"""Browser tests: Debian's Chromium driven by Playwright, kept on the loopback network.

Fixtures (imported into ``conftest.py``):

- ``browser``: one headless Chromium for the test session (``/usr/bin/chromium``, installed by
  ``scripts/install-browser.sh``; Playwright's own browser download is never used);
- ``page_events``: what a page did wrong: console errors, uncaught exceptions, failed requests,
  HTTP error responses, and requests refused for leaving 127.0.0.0/8;
- ``page``: a page in a fresh browser context, watched by ``page_events``. Any request to a host
  outside 127.0.0.0/8 is aborted before it leaves, and fails the test at teardown.

``screenshot(page, name)`` saves a PNG under ``test-artifacts/screenshots/`` (or
``$KANSOKU_SCREENSHOT_DIR``) and returns its path.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Response,
    Route,
    WebSocketRoute,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
ENV_SCREENSHOT_DIR = "KANSOKU_SCREENSHOT_DIR"
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
# Generous for a busy two-core machine: a wait that reports what it waited for beats a flake.
TIMEOUT_MS = 60_000
LAUNCH_ARGS = (
    "--no-sandbox",  # runs as root here; the sandbox refuses root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Chromium's own traffic (updates, sync, field trials, safe browsing) would go to outside
    # hosts; this machine refuses those, many at a time.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A second fence below the request routes: no host name resolves, so even a request that
    # slipped past them could not reach a named outside host.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.*",
)
# Schemes that never touch the network.
_LOCAL_SCHEMES = frozenset({"about", "blob", "data", "chrome-error"})
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# The same rule as ``is_loopback_url``, as a pattern Playwright matches in its driver: a route
# with a Python predicate instead holds every request of the page until this process answers,
# and under load a dashboard's many queries then starve the page (evaluate calls of 30 s were
# seen with two busy CPU loops beside). Only what this matches reaches the Python handler.
OUTSIDE = re.compile(
    r"^(?!(?:about|blob|data|chrome-error):)"
    rf"(?!(?:https?|wss?)://127(?:\.{_OCTET}){{3}}(?::\d+)?(?:[/?#]|$))"
)


def is_loopback_url(url: str) -> bool:
    """True when ``url`` stays on this machine: a 127.0.0.0/8 address, or no network at all.

    Host names, ``localhost`` included, are refused: a name may resolve anywhere (and
    ``localhost`` to ``::1``), and the stack prints its URLs with addresses.
    """
    parts = urlsplit(url)
    if parts.scheme in _LOCAL_SCHEMES:
        return True
    try:
        address = ipaddress.ip_address(parts.hostname or "")
    except ValueError:
        return False
    return address.version == 4 and address in LOOPBACK


@dataclass
class PageEvents:
    """Everything a page reported as wrong, for a test to assert on (``assert_clean``)."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.console_errors.append(f"{message.text} ({where})" if where else message.text)

    def on_page_error(self, error: Exception) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def on_request_failed(self, request: Request) -> None:
        if request.url not in self.blocked:  # reported once, as blocked
            self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.error_responses.append(
                f"{response.status} {response.request.method} {response.url}"
            )

    def take_blocked(self) -> list[str]:
        """The outside URLs refused so far, forgotten (for a test that provokes one)."""
        taken, self.blocked[:] = list(self.blocked), []
        return taken

    def problems(self) -> list[str]:
        return [
            *(f"console error: {m}" for m in self.console_errors),
            *(f"request failed: {m}" for m in self.failed_requests),
            *(f"HTTP error: {m}" for m in self.error_responses),
            *(f"outside 127.0.0.0/8, blocked: {m}" for m in self.blocked),
        ]

    def assert_clean(self) -> None:
        """Fail with every problem listed when the page reported any."""
        problems = self.problems()
        assert not problems, "the page reported problems:\n  " + "\n  ".join(problems)


def _refuse(events: PageEvents) -> object:
    def handle(route: Route) -> None:
        events.blocked.append(route.request.url)
        route.abort("blockedbyclient")

    return handle


def _refuse_socket(events: PageEvents) -> object:
    def handle(socket: WebSocketRoute) -> None:
        # Never connected to the server: a routed socket reaches it only on connect_to_server.
        events.blocked.append(socket.url)
        socket.close()

    return handle


# Module scope, not session: Playwright's sync API keeps its event loop registered as running
# in the main thread until it stops, and every later asyncio.run() in the session would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium for one test module; a missing binary fails, never skips.

    Each launch gets a new, empty user-data directory from Playwright (a temporary profile
    that it removes on close), so no state carries over from an earlier run.
    """
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing; run 'make install' (scripts/install-browser.sh)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(LAUNCH_ARGS), timeout=TIMEOUT_MS
        )
        yield launched
        launched.close()


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def page(browser: Browser, page_events: PageEvents) -> Iterator[Page]:
    """A page in its own context: no cookies or storage shared with another test.

    Every request is routed: one to an outside host is aborted and fails the test at
    teardown, whatever else the test asserted.
    """
    context = browser.new_context(service_workers="block", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.route(OUTSIDE, _refuse(page_events))
    context.route_web_socket(OUTSIDE, _refuse_socket(page_events))
    tab = context.new_page()
    tab.on("console", page_events.on_console)
    tab.on("pageerror", page_events.on_page_error)
    tab.on("requestfailed", page_events.on_request_failed)
    tab.on("response", page_events.on_response)
    yield tab
    context.close()
    if page_events.blocked:
        pytest.fail(
            "the page asked for hosts outside 127.0.0.0/8 (blocked):\n  "
            + "\n  ".join(page_events.blocked)
        )


def screenshot_dir() -> Path:
    """Where screenshots go: ``$KANSOKU_SCREENSHOT_DIR`` or ``test-artifacts/screenshots``."""
    given = os.environ.get(ENV_SCREENSHOT_DIR)
    return Path(given) if given else SCREENSHOT_DIR


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG of ``page`` as ``<name>.png``; returns its path."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "page"
    path = screenshot_dir() / f"{safe}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path
