"""Render a neutral dashboard as a Perses dashboard (``kind: Dashboard``), plain data.

What the console at ``/`` draws with the Perses libraries. Grafana's names map to Perses's:
units, colours, ``label_values(...)`` variables (``PrometheusLabelValuesVariable``), rows
(one ``Grid`` layout each). Trace panels use the console's own plugins: ``JaegerTraceQuery``
(Jaeger's API v3; no Perses plugin speaks it) feeding ``TraceTable``, and
``JaegerDependencyTable`` (Perses has no node-graph panel) for the dependency graph. Log
panels use the console's ``VictoriaLogsLogQuery`` (LogsQL; no Perses plugin speaks
VictoriaLogs) feeding ``LogsTable`` from ``@perses-dev/loki-plugin``, with the same LogsQL as
the Grafana panel. Panels whose queries carry exemplars get a link the console resolves to the
exemplars' traces.
"""

from __future__ import annotations

import re
from typing import Any

from kansoku import conventions as cv
from kansoku.dashboards import model

GRID_COLUMNS = 24  # Grafana's and Perses's grids are both 24 columns wide
# Grafana unit id -> Perses unit; Perses has no "x" (multiplier) unit, a plain number reads right.
UNITS: dict[str, str] = {
    "percentunit": "percent-decimal",
    "reqps": "requests/sec",
    "s": "seconds",
    "ms": "milliseconds",
    "bytes": "bytes",
    "Bps": "bytes/sec",
    "short": "decimal",
    "none": "decimal",
    "x": "decimal",
}
COLOURS: dict[str, str] = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}
PROMETHEUS_DATASOURCE = {"kind": "PrometheusDatasource", "name": cv.DATASOURCE_PROMETHEUS_UID}
TRACE_LINK = "/traces/${traceId}"  # the console's trace view (Perses fills traceId)
EXEMPLAR_LINK = "/exemplars/{dashboard}/{panel}"


def unit(grafana_unit: str) -> str:
    """The Perses unit of a Grafana unit id; a clear error for one not mapped yet."""
    try:
        return UNITS[grafana_unit]
    except KeyError:
        raise ValueError(f"no Perses unit for Grafana unit {grafana_unit!r}") from None


def _format(panel: model.Panel) -> dict[str, Any]:
    data: dict[str, Any] = {"unit": unit(panel.unit)}
    if panel.decimals is not None:
        data["decimalPlaces"] = panel.decimals
    return data


def _thresholds(steps: tuple[tuple[float | None, str], ...]) -> dict[str, Any]:
    data: dict[str, Any] = {"mode": "absolute", "steps": []}
    for value, colour in steps:
        if value is None:
            data["defaultColor"] = COLOURS[colour]
        else:
            data["steps"].append({"value": value, "color": COLOURS[colour]})
    return data


def _prometheus(query: model.Query) -> dict[str, Any]:
    spec: dict[str, Any] = {"datasource": PROMETHEUS_DATASOURCE, "query": query.expr}
    if query.legend:
        spec["seriesNameFormat"] = query.legend
    return {
        "kind": "TimeSeriesQuery",
        "spec": {"plugin": {"kind": "PrometheusTimeSeriesQuery", "spec": spec}},
    }


def _trace_query(search: model.TraceSearch) -> dict[str, Any]:
    spec: dict[str, Any] = {"service": search.service, "limit": search.limit}
    if search.operation:
        spec["operation"] = search.operation
    if search.tags:
        spec["tags"] = search.tags
    return {"kind": "TraceQuery", "spec": {"plugin": {"kind": "JaegerTraceQuery", "spec": spec}}}


def _log_query(query: model.LogQuery) -> dict[str, Any]:
    spec = {"query": query.expr, "limit": query.max_lines}
    return {"kind": "LogQuery", "spec": {"plugin": {"kind": "VictoriaLogsLogQuery", "spec": spec}}}


# Grafana's text for a stat without series; one that says more is carried over (below).
NO_DATA = "no data"


def _stat(panel: model.Panel) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "calculation": "last-number",  # Grafana's lastNotNull
        "format": _format(panel),
        "thresholds": _thresholds(panel.steps),
    }
    if panel.kind == "status":
        down, up = COLOURS[panel.steps[0][1]], COLOURS[panel.steps[-1][1]]
        spec["mappings"] = [
            {"kind": "Value", "spec": {"value": "0", "result": {"value": "DOWN", "color": down}}},
            {"kind": "Value", "spec": {"value": "1", "result": {"value": "UP", "color": up}}},
        ]
    if panel.no_value and panel.no_value != NO_DATA:
        # Perses's "null" mapping; the console's StatChart also shows it when no series came
        # back at all (upstream then writes "No data"), as Grafana's noValue does.
        nothing = {"kind": "Misc", "spec": {"value": "null", "result": {"value": panel.no_value}}}
        spec["mappings"] = [*spec.get("mappings", []), nothing]
    return {"kind": "StatChart", "spec": spec}


def _timeseries(panel: model.Panel) -> dict[str, Any]:
    y_axis: dict[str, Any] = {"format": {"unit": unit(panel.unit)}}
    if panel.soft_max is not None:
        y_axis["max"] = panel.soft_max
    spec: dict[str, Any] = {
        "legend": {"position": "bottom", "mode": "list"},
        "yAxis": y_axis,
        "visual": {"lineWidth": 2, "areaOpacity": 0},
    }
    # As in Grafana, a series whose legend starts with "threshold" is drawn dashed.
    dashed = [
        {"queryIndex": i, "lineStyle": "dashed"}
        for i, query in enumerate(panel.queries)
        if query.legend.startswith("threshold")
    ]
    if dashed:
        spec["querySettings"] = dashed
    return {"kind": "TimeSeriesChart", "spec": spec}


def _plugin(panel: model.Panel) -> dict[str, Any]:
    if panel.kind in ("stat", "status"):
        return _stat(panel)
    if panel.kind == "timeseries":
        return _timeseries(panel)
    if panel.kind == "table":
        columns = [{"name": "value", "header": "Value", "format": {"unit": unit(panel.unit)}}]
        return {"kind": "Table", "spec": {"density": "compact", "columnSettings": columns}}
    if panel.kind == "traces":
        return {"kind": "TraceTable", "spec": {"links": {"trace": TRACE_LINK}}}
    if panel.kind == "logs":
        return {"kind": "LogsTable", "spec": {"time": True, "wrap": True, "enableDetails": True}}
    return {"kind": "JaegerDependencyTable", "spec": {}}


def panel(item: model.Panel, dashboard: str, key: str) -> dict[str, Any]:
    """The Perses panel of one neutral panel; ``key`` is its id in the dashboard."""
    spec: dict[str, Any] = {
        "display": {"name": item.title, "description": item.description},
        "plugin": _plugin(item),
    }
    if isinstance(item.trace_query, model.TraceSearch):
        spec["queries"] = [_trace_query(item.trace_query)]
    elif item.log_query is not None:
        spec["queries"] = [_log_query(item.log_query)]
    elif item.queries:
        spec["queries"] = [_prometheus(q) for q in item.queries]
    if any(q.exemplars for q in item.queries):
        url = EXEMPLAR_LINK.format(dashboard=dashboard, panel=key)
        spec["links"] = [{"name": "Exemplars: open a trace", "url": url}]
    return {"kind": "Panel", "spec": spec}


def _variable(item: model.Variable) -> dict[str, Any]:
    if isinstance(item, model.TextVariable):
        spec = {"name": item.name, "display": {"name": item.label}, "value": item.default}
        return {"kind": "TextVariable", "spec": spec}
    selector, label = item.label_values()
    data: dict[str, Any] = {
        "name": item.name,
        "display": {"name": item.label},
        "allowMultiple": item.multi,
        "allowAllValue": item.multi,
        "sort": "alphabetical-asc",
        "plugin": {
            "kind": "PrometheusLabelValuesVariable",
            "spec": {
                "datasource": PROMETHEUS_DATASOURCE,
                "labelName": label,
                "matchers": [selector],
            },
        },
    }
    if item.multi:
        data["defaultValue"] = "$__all"
    if item.all_value is not None:
        data["customAllValue"] = item.all_value
    return {"kind": "ListVariable", "spec": data}


def _key(title: str, taken: set[str]) -> str:
    """A stable panel id from its title (``request-rate-per-route``), unique in the board."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "panel"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


class _Grid:
    """Places panels left to right, wrapping at the grid's width, as Grafana does."""

    def __init__(self) -> None:
        self.x = self.y = self.row_height = 0

    def place(self, width: int, height: int) -> tuple[int, int]:
        if self.x + width > GRID_COLUMNS:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        at = (self.x, self.y)
        self.x += width
        self.row_height = max(self.row_height, height)
        return at


def _layouts(board: model.Dashboard, panels: dict[str, Any]) -> list[dict[str, Any]]:
    layouts: list[dict[str, Any]] = []
    taken: set[str] = set()
    grid = _Grid()
    items: list[dict[str, Any]] | None = None
    for entry in board.items:
        if isinstance(entry, model.Row) or items is None:
            items, grid = [], _Grid()
            spec: dict[str, Any] = {"items": items}
            if isinstance(entry, model.Row):
                collapse = {"open": not entry.cluster_only}  # the console is local mode
                spec["display"] = {"title": entry.title, "collapse": collapse}
            layouts.append({"kind": "Grid", "spec": spec})
            if isinstance(entry, model.Row):
                continue
        key = _key(entry.title, taken)
        panels[key] = panel(entry, board.uid, key)
        x, y = grid.place(entry.width, entry.height)
        ref = {"$ref": f"#/spec/panels/{key}"}
        items.append({"x": x, "y": y, "width": entry.width, "height": entry.height, "content": ref})
    return layouts


def _duration(time_from: str) -> str:
    """``now-1h`` -> ``1h`` (Perses keeps only the past duration)."""
    if not time_from.startswith("now-"):
        raise ValueError(f"time range {time_from!r}: expected now-<duration>")
    return time_from.removeprefix("now-")


def _datasources(board: model.Dashboard) -> dict[str, Any]:
    prometheus = {"directUrl": cv.CONSOLE_PROXY_PROMETHEUS}
    found: dict[str, Any] = {
        cv.DATASOURCE_PROMETHEUS_UID: {
            "default": True,
            "plugin": {"kind": "PrometheusDatasource", "spec": prometheus},
        }
    }
    return found


def render(board: model.Dashboard) -> dict[str, Any]:
    """The Perses dashboard resource, datasources included (same-origin console paths)."""
    panels: dict[str, Any] = {}
    layouts = _layouts(board, panels)
    return {
        "kind": "Dashboard",
        "metadata": {"name": board.uid, "project": cv.PROJECT},
        "spec": {
            "display": {"name": board.title, "description": board.description},
            "duration": _duration(board.local_time_from),
            "refreshInterval": board.refresh,
            "datasources": _datasources(board),
            "variables": [_variable(v) for v in board.variables],
            "panels": panels,
            "layouts": layouts,
        },
    }
