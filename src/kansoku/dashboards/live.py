"""Run a dashboard's queries against a live Prometheus, Jaeger and VictoriaLogs, the way
Grafana would.

Variables are expanded to the values the live stack has (a multi-value variable to all of
them, as Grafana's "All", written as each datasource writes it; a single-value one to each
value in turn); every PromQL query must return at least one series, every Jaeger query at
least one trace or dependency and every LogsQL query at least one record (a "logs of this
trace" link: for one of the traces its panel lists), except the panels exempted, each with
its reason: by default those the dashboard declares empty in local mode (outside a cluster).
Each empty result is reported naming the dashboard, the panel and the query as run.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from kansoku.dashboards import logs, queries
from kansoku.dashboards.catalog import Board
from kansoku.verify import logsql
from kansoku.verify.checks import prometheus_query

LOOKBACK_SECONDS = 3600


@dataclass(frozen=True)
class Empty:
    """A query that returned nothing (or failed)."""

    dashboard: str
    panel: str
    query: str
    detail: str

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel}: {self.detail}\n    {self.query}"


def label_values(prometheus_url: str, definition: str, values: Mapping[str, str]) -> list[str]:
    """What Grafana lists for a ``label_values(...)`` variable (``values`` fills its own $vars)."""
    selector, label = queries.label_values_call(definition)
    params = {"match[]": queries.expand(selector, values)} if selector else {}
    resp = httpx.get(f"{prometheus_url}/api/v1/label/{label}/values", params=params, timeout=10)
    resp.raise_for_status()
    return sorted(str(v) for v in resp.json()["data"])


def logsql_values(values: list[str]) -> str:
    """What the VictoriaLogs datasource puts for a multi-value variable: ``(a OR b)``."""
    return values[0] if len(values) == 1 else "(" + " OR ".join(values) + ")"


def variable_choices(
    prometheus_url: str,
    board: Mapping[str, Any],
    multi: Callable[[list[str]], str] = queries.regex_of,
) -> list[dict[str, str]]:
    """Every combination of variable values to run the queries with (one per single-value
    variable value); ``multi`` writes the values of a multi-value variable as the queries'
    datasource does (later variables' own ``label_values`` always see the PromQL regex).
    Raises ``LookupError`` for a variable with no value and no "All" value."""
    fixed: dict[str, str] = {}
    shown: dict[str, str] = {}
    singles: list[tuple[str, list[str]]] = []
    for var in queries.variables(board):
        if var.kind != "query":
            fixed[var.name] = var.query
            continue
        found = label_values(prometheus_url, var.query, fixed)
        if var.multi and found:
            fixed[var.name] = queries.regex_of(found)
            shown[var.name] = multi(found)
        elif var.multi and var.all_value is not None:
            fixed[var.name] = var.all_value
        elif found:
            singles.append((var.name, found))
        else:
            raise LookupError(f"variable ${var.name} ({var.query}) has no values")
    names = [name for name, _ in singles]
    return [
        {**fixed, **shown, **dict(zip(names, combo, strict=True))}
        for combo in itertools.product(*(found for _, found in singles))
    ]


def _prometheus(
    url: str,
    title: str,
    exempt: Mapping[str, str],
    values: Mapping[str, str],
    data: Mapping[str, Any],
) -> Iterator[Empty]:
    for target in queries.prometheus_targets(data):
        if target.panel in exempt:
            continue
        expr = queries.expand(target.expr, values)
        try:
            result = prometheus_query(url, expr)
        except (httpx.HTTPError, RuntimeError) as exc:
            yield Empty(title, target.panel, expr, f"query failed: {exc}")
            continue
        if not result:
            yield Empty(title, target.panel, expr, "no series")


def jaeger_request(
    model: Mapping[str, Any], values: Mapping[str, str]
) -> tuple[str, dict[str, str]]:
    """The Jaeger query API call the datasource makes for a query model: path and parameters."""
    end = time.time()
    if model.get("queryType") == "dependencyGraph":
        return "/api/dependencies", {
            "endTs": str(int(end * 1000)),
            "lookback": str(LOOKBACK_SECONDS * 1000),
        }
    params = {
        "service": queries.expand(str(model["service"]), values),
        "limit": str(model.get("limit", 20)),
        "start": str(int((end - LOOKBACK_SECONDS) * 1e6)),
        "end": str(int(end * 1e6)),
    }
    if model.get("operation"):
        params["operation"] = queries.expand(str(model["operation"]), values)
    if model.get("tags"):
        pairs = (item.split("=", 1) for item in str(model["tags"]).split())
        params["tags"] = json.dumps({k: v.strip('"') for k, v in pairs})
    return "/api/traces", params


def _jaeger(
    url: str,
    title: str,
    exempt: Mapping[str, str],
    values: Mapping[str, str],
    data: Mapping[str, Any],
) -> Iterator[Empty]:
    for target in queries.jaeger_targets(data):
        if target.panel in exempt:
            continue
        path, params = jaeger_request(target.model, values)
        shown = f"GET {path}?{httpx.QueryParams(params)}"
        try:
            resp = httpx.get(f"{url}{path}", params=params, timeout=10)
            resp.raise_for_status()
            found = resp.json().get("data") or []
        except (httpx.HTTPError, ValueError) as exc:
            yield Empty(title, target.panel, shown, f"query failed: {exc}")
            continue
        if not found:
            yield Empty(title, target.panel, shown, "nothing found")


def _trace_ids(jaeger_url: str, panel: str, values: Mapping[str, str], data: Any) -> list[str]:
    """The trace ids a panel's Jaeger search shows: what its "logs of this trace" link opens."""
    ids: list[str] = []
    for target in queries.jaeger_targets(data):
        if target.panel == panel:
            path, params = jaeger_request(target.model, values)
            resp = httpx.get(f"{jaeger_url}{path}", params=params, timeout=10)
            resp.raise_for_status()
            ids += [str(t["traceID"]) for t in resp.json().get("data") or []]
    return ids


def _victorialogs(
    urls: LiveUrls,
    title: str,
    exempt: Mapping[str, str],
    values: Mapping[str, str],
    data: Mapping[str, Any],
) -> Iterator[Empty]:
    for target in queries.victorialogs_targets(data):
        if target.panel in exempt:
            continue
        expr = queries.expand(target.expr, values)  # leaves the clicked-value placeholder
        try:
            if target.trace_link:  # any of the panel's traces must have records
                ids = _trace_ids(urls.jaeger, target.panel, values, data)
                if not ids:
                    continue  # no traces to link from: the panel's Jaeger check says so
                exprs = [expr.replace(logs.CLICKED_VALUE, i) for i in ids]
            else:
                exprs = [expr]
            found = any(logsql.query(urls.victorialogs, e, limit=1) for e in exprs)
        except (httpx.HTTPError, RuntimeError) as exc:
            yield Empty(title, target.panel, expr, f"query failed: {exc}")
            continue
        if not found:
            what = (
                f"no records (tried {len(exprs)} trace ids)" if target.trace_link else "no records"
            )
            yield Empty(title, target.panel, expr, what)


@dataclass(frozen=True)
class LiveUrls:
    """Where the live stack's query APIs answer."""

    prometheus: str
    jaeger: str
    victorialogs: str


def empty_queries(
    urls: LiveUrls,
    board: Board,
    data: Mapping[str, Any],
    exempt: Mapping[str, str] | None = None,
) -> list[Empty]:
    """Every query of ``data`` that returns nothing on the live stack, for every variable
    choice; the panels of ``exempt`` (title -> why they have no data there; default: the
    board's ``local_exempt``) are not run."""
    title = str(data.get("title", board.uid))
    skip = board.local_exempt if exempt is None else exempt
    try:
        choices = variable_choices(urls.prometheus, data)
        logs_choices = variable_choices(urls.prometheus, data, logsql_values)
    except (LookupError, httpx.HTTPError) as exc:
        return [Empty(title, "(variables)", "", str(exc))]
    problems: list[Empty] = []
    for values in choices:
        problems += _prometheus(urls.prometheus, title, skip, values, data)
        problems += _jaeger(urls.jaeger, title, skip, values, data)
    for values in logs_choices:
        problems += _victorialogs(urls, title, skip, values, data)
    return problems


def unknown_metrics(
    prometheus_url: str, board: Board, data: Mapping[str, Any]
) -> dict[str, set[str]]:
    """Metric names a dashboard uses that the live Prometheus has never seen, by panel."""
    resp = httpx.get(f"{prometheus_url}/api/v1/label/__name__/values", timeout=10)
    resp.raise_for_status()
    known = set(resp.json()["data"]) | set(board.rare_metrics)
    missing: dict[str, set[str]] = {}
    for target in queries.prometheus_targets(data):
        unknown = queries.metric_names(target.expr) - known
        if unknown:
            missing.setdefault(target.panel, set()).update(unknown)
    for var in queries.variables(data):
        if var.kind == "query":
            selector, _ = queries.label_values_call(var.query)
            unknown = queries.metric_names(selector or "") - known
            if unknown:
                missing.setdefault(f"${var.name}", set()).update(unknown)
    return missing
