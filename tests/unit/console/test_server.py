"""The console server: dashboards, same-origin proxy to a real HTTP backend on 127.0.0.1, the
app's routes falling back to index.html, status from the stack's state; and the asset cache."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from kansoku import conventions as cv
from kansoku import locations
from kansoku.alerting.notifications import NotificationLog, log_path
from kansoku.console import assets, server
from kansoku.errors import ToolError
from kansoku.stack import state as st
from kansoku.stack.table import stack_table

with warnings.catch_warnings():
    # Starlette asks for httpx2 at import; the client works unchanged with httpx (as in the
    # shop's tests). Only this import-time warning is silenced.
    warnings.filterwarnings(
        "ignore",
        category=StarletteDeprecationWarning,
        message="Using `httpx` with `starlette.testclient` is deprecated",
    )
    from fastapi.testclient import TestClient

DASHBOARDS = locations.config_dir() / "console" / "dashboards"


class _Backend(BaseHTTPRequestHandler):
    """A stand-in backend answering with what it was asked, as JSON."""

    def do_GET(self) -> None:
        if self.path.startswith("/missing"):
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps({"path": self.path, "accept": self.headers.get("accept")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("set-cookie", "x=1")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(b"got " + data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _assets(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>console</html>", encoding="utf-8")
    (dist / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("no", encoding="utf-8")
    return dist


def _client(tmp_path: Path, backends: dict[str, str]) -> TestClient:
    settings = server.ConsoleSettings(
        "127.0.0.1", 3000, _assets(tmp_path), DASHBOARDS, tmp_path / "data", backends
    )
    return TestClient(server.create_app(settings))


def test_dashboard_index_lists_the_five_in_menu_order(tmp_path: Path) -> None:
    entries = _client(tmp_path, {}).get("/dashboards/index.json").json()["dashboards"]
    assert [e["uid"] for e in entries] == [
        cv.DASHBOARD_OVERVIEW_UID,
        cv.DASHBOARD_APPLICATION_UID,
        cv.DASHBOARD_SLO_UID,
        cv.DASHBOARD_TRACES_UID,
        cv.DASHBOARD_COLLECTOR_UID,
    ]
    assert entries[0]["title"] == "Overview (kansoku)"


def test_a_dashboard_is_served_as_committed_and_an_unknown_one_is_404(tmp_path: Path) -> None:
    client = _client(tmp_path, {})
    got = client.get(f"/dashboards/{cv.DASHBOARD_TRACES_UID}.json").json()
    assert got == json.loads((DASHBOARDS / cv.DASHBOARD_TRACES_FILE).read_text(encoding="utf-8"))
    missing = client.get("/dashboards/nope.json")
    assert missing.status_code == 404
    assert cv.DASHBOARD_OVERVIEW_UID in missing.text


def test_proxy_forwards_path_query_and_accept_but_no_cookies(tmp_path: Path, backend: str) -> None:
    client = _client(tmp_path, {"prometheus": backend})
    answer = client.get(
        "/api/prometheus/api/v1/query?query=up%7Bjob%3D%22a%22%7D",
        headers={"accept": "application/json", "cookie": "session=secret"},
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "path": "/api/v1/query?query=up%7Bjob%3D%22a%22%7D",
        "accept": "application/json",
    }
    assert "set-cookie" not in answer.headers
    posted = client.post("/api/prometheus/api/v1/query", content=b"query=up")
    assert posted.text == "got query=up"


def test_proxy_passes_upstream_errors_and_names_unknown_or_dead_backends(
    tmp_path: Path, backend: str
) -> None:
    client = _client(tmp_path, {"jaeger": backend, "prometheus": "http://127.0.0.1:9"})
    assert client.get("/api/jaeger/missing").status_code == 404
    unknown = client.get("/api/grafana/api/health")
    assert unknown.status_code == 404
    assert "no backend 'grafana'" in unknown.text
    dead = client.get("/api/prometheus/api/v1/query")
    assert dead.status_code == 502
    assert "prometheus unreachable" in dead.text


def test_app_routes_get_index_html_and_assets_stay_inside_dist(tmp_path: Path) -> None:
    client = _client(tmp_path, {})
    for route in ("/", "/traces/4bf92f3577b34da6a3ce929d0e0e4736", "/dashboards/kansoku-slo"):
        assert client.get(route).text == "<html>console</html>", route
    assert client.get("/assets/app.js").text == "console.log(1)"
    assert client.get("/../secret.txt").text == "<html>console</html>"
    assert client.get("/assets/..%2F..%2Fsecret.txt").text == "<html>console</html>"


def test_status_lists_components_from_the_stack_state(tmp_path: Path) -> None:
    client = _client(tmp_path, {})
    unknown = client.get(cv.CONSOLE_STATUS_PATH).json()["components"]
    assert unknown[0]["status"] == "unknown"
    data_dir = tmp_path / "data"
    # A pid that is not running: the supervisor has gone.
    state = st.StackState(str(data_dir), "127.0.0.1", {}, supervisor_pid=2**22 + 7)
    state.components["prometheus"] = st.ComponentState(
        "prometheus", status="ready", url="http://127.0.0.1:9090"
    )
    st.write(state)
    listed = client.get(cv.CONSOLE_STATUS_PATH).json()["components"]
    # No supervisor runs, so the component is reported as exited, not as ready.
    assert [(c["name"], c["status"]) for c in listed] == [("prometheus", "exited")]


def test_settings_take_ports_and_bind_address_from_the_stack_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cv.ENV_BIND_ADDRESS, "127.0.0.2")
    monkeypatch.setenv(cv.PORTS_BY_KEY["prometheus"].env, "19090")
    monkeypatch.setenv(cv.PORTS_BY_KEY[cv.CONSOLE].env, "13000")
    settings = server.settings_from_env(tmp_path)
    assert (settings.bind_address, settings.port) == ("127.0.0.2", 13000)
    assert settings.backends["prometheus"] == "http://127.0.0.2:19090"
    assert settings.backends["jaeger"].startswith("http://127.0.0.2:")
    assert {u["name"] for u in settings.uis} >= {"Prometheus"}
    # Alerts carry the committed default addresses; the console knows this stack's.
    assert settings.link_bases[cv.DASHBOARD_BASE_URL] == "http://127.0.0.2:13000"
    assert settings.link_bases[cv.RUNBOOK_BASE_URL].startswith("http://127.0.0.2:")


def _sources(root: Path) -> Path:
    for name in ("package.json", "package-lock.json", "tsconfig.json", "vite.config.ts"):
        (root / name).write_text("{}", encoding="utf-8")
    (root / "index.html").write_text("<html/>", encoding="utf-8")
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "main.tsx").write_text("export {}", encoding="utf-8")
    return root


def test_source_hash_follows_sources_and_lockfile(tmp_path: Path) -> None:
    root = _sources(tmp_path)
    first = assets.source_hash(root)
    (root / "src" / "main.tsx").write_text("export const a = 1", encoding="utf-8")
    second = assets.source_hash(root)
    (root / "package-lock.json").write_text('{"v": 2}', encoding="utf-8")
    assert len({first, second, assets.source_hash(root)}) == 3


def test_unbuilt_assets_name_the_command_and_the_override_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cv.ENV_CACHE_DIR, str(tmp_path / "cache"))
    monkeypatch.delenv(cv.ENV_CONSOLE_ASSETS, raising=False)
    (tmp_path / "console-src").mkdir()
    root = _sources(tmp_path / "console-src")
    with pytest.raises(ToolError, match="kansoku tools install console"):
        assets.resolve(root)
    monkeypatch.setenv(cv.ENV_CONSOLE_ASSETS, str(tmp_path))
    with pytest.raises(ToolError, match=r"has no index\.html"):
        assets.resolve(root)
    dist = _assets(tmp_path / "built")
    monkeypatch.setenv(cv.ENV_CONSOLE_ASSETS, str(dist))
    assert assets.resolve(root) == dist


def test_status_table_lists_the_web_uis_console_first(tmp_path: Path) -> None:
    ports = {p.key: p.default for p in cv.PORTS}
    state = st.StackState(str(tmp_path), "127.0.0.1", ports, supervisor_pid=1)
    lines = stack_table(state).splitlines()
    start = lines.index("web UIs:")
    assert lines[start + 1].split() == ["console", "http://127.0.0.1:3000/"]
    assert lines[start + 2].split() == ["Prometheus", "http://127.0.0.1:9090/"]


def test_notifications_are_the_receivers_log_newest_first_without_the_watchdog(
    tmp_path: Path,
) -> None:
    client = _client(tmp_path, {})
    assert client.get(cv.CONSOLE_NOTIFICATIONS_PATH).json() == {"notifications": []}
    log = NotificationLog(log_path(tmp_path / "data"))
    for name in ("SLOErrorBudgetBurn", cv.ALERT_WATCHDOG, "Second"):
        alert = {
            "status": "firing",
            "labels": {"alertname": name, "severity": "page"},
            "annotations": {"runbook_url": "http://127.0.0.1:9/docs/runbook.md"},
        }
        log.append("shop-page", {"alerts": [alert]})
    shown = client.get(cv.CONSOLE_NOTIFICATIONS_PATH).json()["notifications"]
    assert [n["alertname"] for n in shown] == ["Second", "SLOErrorBudgetBurn"]
    assert shown[0]["links"] == {"runbook_url": "http://127.0.0.1:9/docs/runbook.md"}
    assert shown[0]["receiver"] == "shop-page"


def test_the_trace_logs_link_puts_the_query_in_the_ui_fragment(tmp_path: Path) -> None:
    ui = {"name": "VictoriaLogs", "url": "http://127.0.0.1:9428/select/vmui/", "description": ""}
    settings = server.ConsoleSettings(
        "127.0.0.1", 3000, _assets(tmp_path), DASHBOARDS, tmp_path / "data", {}, [ui]
    )
    link = server.stack_status(settings)["logs"]["url"]
    # VictoriaLogs' UI ignores ?query=: its state is read from the fragment.
    assert link.startswith("http://127.0.0.1:9428/select/vmui/#/?query=")
    query = parse_qs(urlsplit(link.split("#", 1)[1]).query)["query"][0]
    assert query == '"trace_id":="{traceId}"'
