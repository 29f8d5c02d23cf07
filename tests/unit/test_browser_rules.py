"""The browser harness's network fence: which URLs count as staying on this machine."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "e2e" / "browser.py"


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kansoku_browser_harness", HARNESS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


browser = _harness()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9090/query",
        "http://127.0.0.1/",
        "https://127.255.255.254:8443/x",
        "ws://127.0.0.2:3000/socket",
        "data:image/png;base64,AAAA",
        "blob:http://127.0.0.1:3000/6f1d",
        "about:blank",
    ],
)
def test_loopback_and_networkless_urls_are_allowed(url: str) -> None:
    assert browser.is_loopback_url(url)
    assert not browser.OUTSIDE.match(url)  # the pattern the routes use agrees


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:9090/",  # a name, which may resolve to ::1 or anywhere
        "http://[::1]:9090/",  # loopback, but not 127.0.0.0/8
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://128.0.0.1/",
        "https://fonts.googleapis.com/css",
        "http://127.0.0.1.example.com/",
        "ws://outside.invalid/socket",
        "http:///no-host",
        "http://127.0.0.1@10.0.0.1/",  # user info: the host is 10.0.0.1
        "http://127.0.0.256/",  # not an address, so a name
        "http://127.0.0.1.:80/",
    ],
)
def test_outside_hosts_are_refused(url: str) -> None:
    assert not browser.is_loopback_url(url)
    assert browser.OUTSIDE.match(url)  # the pattern the routes use agrees


def test_screenshot_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(browser.ENV_SCREENSHOT_DIR, raising=False)
    assert browser.screenshot_dir() == browser.SCREENSHOT_DIR
    assert browser.SCREENSHOT_DIR.parts[-2:] == ("test-artifacts", "screenshots")
    monkeypatch.setenv(browser.ENV_SCREENSHOT_DIR, str(tmp_path))
    assert browser.screenshot_dir() == tmp_path
