"""Shared builders for kansoku's dashboards, renderer-neutral (:mod:`kansoku.dashboards.model`).

Every dashboard module builds its panels from these, so sizes, colours, variables and defaults
are the same across dashboards; :mod:`kansoku.dashboards.render` turns the result into Grafana
or Perses JSON.
"""

from __future__ import annotations

from kansoku import conventions
from kansoku.dashboards.model import (
    Dashboard,
    Dependencies,
    Panel,
    Query,
    QueryVariable,
    Row,
    TraceSearch,
)

GREEN, YELLOW, RED = "green", "yellow", "red"
Steps = list[tuple[float | None, str]]


def query(expr: str, legend: str, ref: str = "A") -> Query:
    """A Prometheus range query with a legend."""
    return Query(expr, legend, ref)


def exemplar_query(expr: str, legend: str, ref: str = "A") -> Query:
    """A range query that also fetches exemplars (each links to its trace)."""
    return Query(expr, legend, ref, exemplars=True)


def table_query(expr: str, ref: str = "A") -> Query:
    """An instant query in table format: one row per series, labels as columns."""
    return Query(expr, "", ref, instant=True)


def jaeger_search(
    service: str, *, tags: str = "", operation: str = "", limit: int = 20, ref: str = "A"
) -> TraceSearch:
    """Trace search in Jaeger; ``tags`` in logfmt, e.g. ``error=true``."""
    return TraceSearch(service, tags, operation, limit, ref)


def stat_panel(
    title: str,
    description: str,
    queries: list[Query],
    *,
    unit: str,
    steps: Steps,
    decimals: int = 2,
    width: int = 6,
    height: int = 5,
    no_value: str = "no data",
) -> Panel:
    """A single-value panel coloured by ``steps``."""
    return Panel(
        "stat",
        title,
        description,
        tuple(queries),
        unit=unit,
        decimals=decimals,
        steps=tuple(steps),
        width=width,
        height=height,
        no_value=no_value,
    )


def timeseries_panel(
    title: str,
    description: str,
    queries: list[Query],
    *,
    unit: str,
    width: int = 12,
    height: int = 8,
    soft_max: float | None = None,
) -> Panel:
    """A time series panel; series whose legend starts with ``threshold`` are dashed."""
    return Panel(
        "timeseries",
        title,
        description,
        tuple(queries),
        unit=unit,
        width=width,
        height=height,
        soft_max=soft_max,
    )


def status_panel(
    title: str, description: str, queries: list[Query], *, width: int = 12, height: int = 5
) -> Panel:
    """One tile per series: 1 shows UP in green, 0 DOWN in red, no series "no data"."""
    return Panel(
        "status",
        title,
        description,
        tuple(queries),
        unit="none",
        decimals=0,
        steps=((None, RED), (1.0, GREEN)),
        width=width,
        height=height,
        no_value="no data",
    )


def table_panel(
    title: str,
    description: str,
    queries: list[Query],
    *,
    unit: str = "none",
    width: int = 12,
    height: int = 8,
) -> Panel:
    """A table of instant query results, the ``Value`` column in ``unit``."""
    return Panel("table", title, description, tuple(queries), unit=unit, width=width, height=height)


def traces_panel(
    title: str,
    description: str,
    search: TraceSearch,
    *,
    width: int = 12,
    height: int = 8,
    logs_link: bool = False,
) -> Panel:
    """Trace search results, a table linking to each trace (and to its logs with
    ``logs_link``)."""
    return Panel(
        "traces",
        title,
        description,
        trace_query=search,
        width=width,
        height=height,
        trace_logs_link=logs_link,
    )


def dependency_graph_panel(
    title: str, description: str, *, width: int = 24, height: int = 10
) -> Panel:
    """The service dependency graph from Jaeger."""
    return Panel(
        "dependencies", title, description, trace_query=Dependencies(), width=width, height=height
    )


def row(title: str, *, cluster_only: bool = False) -> Row:
    return Row(title, cluster_only)


def query_variable(
    name: str,
    label: str,
    definition: str,
    *,
    multi: bool = True,
    all_value: str | None = None,
) -> QueryVariable:
    """A variable filled by ``label_values(...)`` from Prometheus, sorted, refreshed with the
    time range; ``multi`` variables offer "All" (``all_value`` or every value found)."""
    return QueryVariable(name, label, definition, multi, all_value)


def board(uid: str, title: str, description: str, tags: list[str]) -> Dashboard:
    """A dashboard with kansoku's defaults: the last hour, 30 s refresh."""
    return Dashboard(uid, title, description, [conventions.PROJECT, *tags])
