"""The console's server: the built web app, the Perses dashboards, the stack's health, and a
same-origin proxy to the backends (``/api/prometheus/*``, ``/api/jaeger/*``, ...).

One origin means the browser needs no CORS grant from any backend, the backends keep their
upstream configuration, and only this server's port has to be reachable; the proxy forwards
to the backends on the bind address only (docs/console.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from kansoku import conventions as cv
from kansoku import locations
from kansoku.alerting import command as alert_listing
from kansoku.alerting.notifications import log_path, notifications
from kansoku.dashboards import logs as log_queries
from kansoku.errors import KansokuError
from kansoku.stack import local
from kansoku.stack.ports import client_url

# Backend name in /api/<name>/ -> port key. Optional ones join once their port key exists.
_BACKENDS = {"prometheus": "prometheus", "jaeger": "jaeger-query"}
_OPTIONAL_BACKENDS = {"alertmanager": "alertmanager", "victorialogs": "victorialogs"}
# Request headers worth forwarding; hop-by-hop ones and cookies stay here. No
# accept-encoding: the body is read decoded, so it goes back uncompressed (it is local).
_FORWARD = ("accept", "content-type")
_DASHBOARD_ORDER = (
    cv.DASHBOARD_OVERVIEW_UID,
    cv.DASHBOARD_APPLICATION_UID,
    cv.DASHBOARD_SLO_UID,
    cv.DASHBOARD_TRACES_UID,
    cv.DASHBOARD_COLLECTOR_UID,
)
_PROXY_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
# VictoriaLogs' UI reads its state from the fragment, not the query string; over the last hour
# (its default is 5 minutes, often too short for a trace opened from a dashboard).
_VMUI_QUERY = "#/?query={query}&g0.range_input=1h&g0.relative_time=last_1_hour"


@dataclass(frozen=True)
class ConsoleSettings:
    """Where the console listens, what it serves and which backends it proxies."""

    bind_address: str
    port: int
    assets: Path
    dashboards: Path
    data_dir: Path
    backends: dict[str, str] = field(default_factory=dict)
    uis: list[dict[str, str]] = field(default_factory=list)
    # Committed link base -> where this stack serves it (alerts name the default ports).
    link_bases: dict[str, str] = field(default_factory=dict)


def _port(key: str) -> int:
    spec = cv.PORTS_BY_KEY[key]
    return int(os.environ.get(spec.env, spec.default))


def settings_from_env(assets: Path) -> ConsoleSettings:
    """Settings from the stack's environment (what ``kansoku up`` passes every component)."""
    bind = os.environ.get(cv.ENV_BIND_ADDRESS, "127.0.0.1")
    known = {**_BACKENDS, **{k: v for k, v in _OPTIONAL_BACKENDS.items() if v in cv.PORTS_BY_KEY}}
    backends = {name: client_url(bind, _port(key)) for name, key in known.items()}
    uis = [  # the upstream UIs the landing page links to
        {"name": name, "url": client_url(bind, _port(key)) + path, "description": what}
        for key, name, path, what in cv.UIS
        if key in cv.PORTS_BY_KEY and key != cv.CONSOLE
    ]
    data_dir = Path(os.environ.get(cv.ENV_DATA_DIR, str(locations.default_data_dir())))
    link_bases = {cv.DASHBOARD_BASE_URL: client_url(bind, _port(cv.CONSOLE))}
    if cv.ALERT_RECEIVER in cv.PORTS_BY_KEY:
        receiver = client_url(bind, _port(cv.ALERT_RECEIVER))
        link_bases[cv.RUNBOOK_BASE_URL] = receiver + "/docs/"
    return ConsoleSettings(
        bind,
        _port(cv.CONSOLE),
        assets,
        locations.config_dir() / "console" / "dashboards",
        data_dir,
        backends,
        uis,
        link_bases,
    )


def _dashboards(directory: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["metadata"]["name"]] = data
    order = {uid: i for i, uid in enumerate(_DASHBOARD_ORDER)}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], len(order))))


def stack_status(settings: ConsoleSettings) -> dict[str, Any]:
    """Each component's health from the stack's state, the UIs, and the logs link if any."""
    try:
        state = local.status(settings.data_dir)
        components = [
            {"name": c.name, "status": c.status, "url": c.url, "detail": c.log}
            for c in state.components.values()
        ]
    except KansokuError as exc:
        components = [{"name": "stack", "status": "unknown", "url": "", "detail": str(exc)}]
    status: dict[str, Any] = {
        "components": components,
        "uis": settings.uis,
        "link_bases": settings.link_bases,
    }
    logs = next((u for u in settings.uis if u["name"] == "VictoriaLogs"), None)
    if logs is not None:
        query = quote(log_queries.of_trace("{traceId}"), safe="{}")
        status["logs"] = {"url": logs["url"] + _VMUI_QUERY.format(query=query)}
    return status


def received_notifications(settings: ConsoleSettings) -> list[dict[str, Any]]:
    """What ``kansoku alerts`` lists (the Watchdog's heartbeats left out), newest first."""
    found = notifications(log_path(settings.data_dir))
    shown = alert_listing.select(found, receiver=None, status=None, watchdog=False)
    return [n.as_json() for n in reversed(shown)]


def create_app(settings: ConsoleSettings) -> FastAPI:
    """The console's ASGI app."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    boards = _dashboards(settings.dashboards)

    @app.get(cv.CONSOLE_DASHBOARDS_PATH + "/index.json")
    def dashboard_index() -> dict[str, Any]:
        entries = [{"uid": uid, "title": b["spec"]["display"]["name"]} for uid, b in boards.items()]
        return {"dashboards": entries}

    @app.get(cv.CONSOLE_DASHBOARDS_PATH + "/{uid}.json")
    def dashboard(uid: str) -> dict[str, Any]:
        if uid not in boards:
            raise HTTPException(404, f"no dashboard {uid!r}; known: {', '.join(boards)}")
        return boards[uid]

    @app.get(cv.CONSOLE_STATUS_PATH)
    def status() -> dict[str, Any]:
        return stack_status(settings)

    @app.get(cv.CONSOLE_NOTIFICATIONS_PATH)
    def received() -> dict[str, Any]:
        return {"notifications": received_notifications(settings)}

    @app.api_route(cv.CONSOLE_PROXY_PREFIX + "{backend}/{path:path}", methods=["GET", "POST"])
    async def proxy(backend: str, path: str, request: Request) -> Response:
        base = settings.backends.get(backend)
        if base is None:
            return JSONResponse({"error": f"no backend {backend!r}"}, status_code=404)
        headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARD}
        # A client per request: nothing to leak or close at shutdown; loopback connects are cheap.
        async with httpx.AsyncClient(timeout=_PROXY_TIMEOUT) as client:
            try:
                answer = await client.request(
                    request.method,
                    f"{base}/{path}",
                    params=request.query_params,
                    headers=headers,
                    content=await request.body(),
                )
            except httpx.HTTPError as exc:
                return JSONResponse({"error": f"{backend} unreachable: {exc}"}, status_code=502)
        keep = {k: v for k, v in answer.headers.items() if k.lower() == "content-type"}
        return Response(answer.content, answer.status_code, keep)

    @app.get("/{path:path}")
    def asset(path: str) -> FileResponse:
        # The app's own routes (/dashboards/<uid>, /traces/<id>, ...) all get index.html.
        target = (settings.assets / path).resolve()
        if path and target.is_file() and target.is_relative_to(settings.assets.resolve()):
            return FileResponse(target)
        return FileResponse(settings.assets / "index.html", headers={"cache-control": "no-cache"})

    return app
