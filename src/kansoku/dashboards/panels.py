"""Shared builders for kansoku's Grafana dashboards (grafana-foundation-sdk).

Every dashboard module builds its panels from these, so datasources, units, colours, variables,
links between the dashboards and the JSON rendering are the same across dashboards. The SDK
has no Jaeger query type; :func:`jaeger_search` and :func:`jaeger_dependencies` build the
Jaeger datasource's query model (``queryType`` ``search`` / ``dependencyGraph``) as plain data.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import (
    common,
    dashboard,
    nodegraph,
    prometheus,
    stat,
    table,
    timeseries,
)
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.runtime import UnknownDataquery
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardLink,
    DashboardLinkType,
    DataSourceRef,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from kansoku import conventions

PROMETHEUS = DataSourceRef(type_val="prometheus", uid=conventions.DATASOURCE_PROMETHEUS_UID)
JAEGER = DataSourceRef(type_val="jaeger", uid=conventions.DATASOURCE_JAEGER_UID)
GREEN, YELLOW, RED = "green", "yellow", "red"


def query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    """A Prometheus range query with a legend."""
    return (
        prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(PROMETHEUS)
    )


def exemplar_query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    """A range query that also fetches exemplars (each links to its trace in Jaeger)."""
    return query(expr, legend, ref).exemplar(True)


def table_query(expr: str, ref: str = "A") -> prometheus.Dataquery:
    """An instant query in table format: one row per series, labels as columns."""
    return (
        prometheus.Dataquery()
        .expr(expr)
        .instant()
        .format(PromQueryFormat.TABLE)
        .ref_id(ref)
        .datasource(PROMETHEUS)
    )


class _Jaeger(cogbuilder.Builder[cogvariants.Dataquery]):
    """A Jaeger datasource query (the SDK ships no Jaeger model), kept as plain data."""

    def __init__(self, model: dict[str, Any]) -> None:
        self._model = {"datasource": {"type": JAEGER.type_val, "uid": JAEGER.uid}, **model}

    def build(self) -> cogvariants.Dataquery:
        return UnknownDataquery(dict(self._model))


def jaeger_search(
    service: str, *, tags: str = "", operation: str = "", limit: int = 20, ref: str = "A"
) -> cogbuilder.Builder[cogvariants.Dataquery]:
    """Trace search (Jaeger ``/api/traces``); ``tags`` in logfmt, e.g. ``error=true``."""
    model: dict[str, Any] = {"refId": ref, "queryType": "search", "service": service}
    if operation:
        model["operation"] = operation
    if tags:
        model["tags"] = tags
    model["limit"] = limit
    return _Jaeger(model)


def jaeger_dependencies(ref: str = "A") -> cogbuilder.Builder[cogvariants.Dataquery]:
    """The service dependency graph (Jaeger ``/api/dependencies`` over the time range)."""
    return _Jaeger({"refId": ref, "queryType": "dependencyGraph"})


def thresholds(steps: list[tuple[float | None, str]]) -> dashboard.ThresholdsConfig:
    """Absolute thresholds: ``[(None, "red"), (0.999, "green")]`` colours from each value up."""
    return (
        dashboard.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=v, color=c) for v, c in steps])
    )


def stat_panel(
    title: str,
    description: str,
    queries: list[prometheus.Dataquery],
    *,
    unit: str,
    steps: list[tuple[float | None, str]],
    decimals: int = 2,
    width: int = 6,
    height: int = 5,
    no_value: str = "no data",
) -> stat.Panel:
    """A single-value panel coloured by ``steps``."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .decimals(decimals)
        .thresholds(thresholds(steps))
        .no_value(no_value)
        .graph_mode(BigValueGraphMode.NONE)
        .color_mode(BigValueColorMode.VALUE)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
        .span(width)
        .height(height)
    )
    for item in queries:
        panel = panel.with_target(item)
    return panel


def timeseries_panel(
    title: str,
    description: str,
    queries: list[prometheus.Dataquery],
    *,
    unit: str,
    width: int = 12,
    height: int = 8,
    soft_max: float | None = None,
) -> timeseries.Panel:
    """A time series panel; series whose legend starts with ``threshold`` are dashed."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .span(width)
        .height(height)
        .line_width(2)
        .fill_opacity(0)
        .legend(
            common.VizLegendOptions()
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(
            common.VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING)
        )
        .override_by_regexp(
            "threshold.*",
            [
                DynamicConfigValue(
                    id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]}
                ),
                DynamicConfigValue(id_val="custom.lineWidth", value=1),
            ],
        )
    )
    if soft_max is not None:
        panel = panel.axis_soft_max(soft_max)
    for item in queries:
        panel = panel.with_target(item)
    return panel


def status_panel(
    title: str,
    description: str,
    queries: list[prometheus.Dataquery],
    *,
    width: int = 12,
    height: int = 5,
) -> stat.Panel:
    """One tile per series: 1 shows UP in green, 0 DOWN in red, no series "no data"."""
    mapping = ValueMap(
        {
            "0": ValueMappingResult(text="DOWN", color=RED, index=0),
            "1": ValueMappingResult(text="UP", color=GREEN, index=1),
        }
    )
    return (
        stat_panel(
            title,
            description,
            queries,
            unit="none",
            steps=[(None, RED), (1.0, GREEN)],
            decimals=0,
            width=width,
            height=height,
        )
        .mappings([mapping])
        .color_mode(BigValueColorMode.BACKGROUND)
    )


def table_panel(
    title: str,
    description: str,
    queries: list[prometheus.Dataquery],
    *,
    unit: str = "none",
    width: int = 12,
    height: int = 8,
) -> table.Panel:
    """A table of instant query results, the ``Value`` column in ``unit``."""
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .show_header(True)
        .datasource(PROMETHEUS)
        .unit(unit)
        .span(width)
        .height(height)
    )
    for item in queries:
        panel = panel.with_target(item)
    return panel


def traces_panel(
    title: str,
    description: str,
    search: cogbuilder.Builder[cogvariants.Dataquery],
    *,
    width: int = 12,
    height: int = 8,
) -> table.Panel:
    """Jaeger search results (Grafana shows them as a table linking to each trace)."""
    return (
        table.Panel()
        .title(title)
        .description(description)
        .show_header(True)
        .datasource(JAEGER)
        .span(width)
        .height(height)
        .with_target(search)
    )


def dependency_graph_panel(
    title: str, description: str, *, width: int = 24, height: int = 10
) -> nodegraph.Panel:
    """The service dependency graph from Jaeger, drawn as a node graph."""
    return (
        nodegraph.Panel()
        .title(title)
        .description(description)
        .datasource(JAEGER)
        .span(width)
        .height(height)
        .nodes(nodegraph.NodeOptions())
        .edges(nodegraph.EdgeOptions())
        .with_target(jaeger_dependencies())
    )


def row(title: str) -> dashboard.Row:
    return dashboard.Row(title)


def query_variable(
    name: str,
    label: str,
    definition: str,
    *,
    multi: bool = True,
    all_value: str | None = None,
) -> dashboard.QueryVariable:
    """A variable filled by ``label_values(...)`` from Prometheus, sorted, refreshed with the
    time range; ``multi`` variables offer "All" (``all_value`` or every value found)."""
    variable = (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(PROMETHEUS)
        .query(definition)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(multi)
        .include_all(multi)
    )
    if multi:
        variable = variable.current(VariableOption(selected=True, text="All", value="$__all"))
    if all_value is not None:
        variable = variable.all_value(all_value)
    return variable


def links(tag: str) -> list[cogbuilder.Builder[DashboardLink]]:
    """A drop-down of every dashboard tagged ``tag``, keeping time range and variables."""
    return [
        dashboard.DashboardLink("kansoku dashboards")
        .type(DashboardLinkType.DASHBOARDS)
        .tags([tag])
        .as_dropdown(True)
        .include_vars(True)
        .keep_time(True)
        .target_blank(False)
        .icon("external link")
        .tooltip("")
        .url("")
    ]


def board(uid: str, title: str, description: str, tags: list[str]) -> dashboard.Dashboard:
    """A dashboard with kansoku's defaults: the last hour, 30 s refresh, links to the others."""
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([conventions.PROJECT, *tags])
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .links(links(conventions.PROJECT))
    )


def to_json(board: dashboard.Dashboard) -> dict[str, Any]:
    """The dashboard as plain JSON data (what Grafana's file provisioning reads)."""
    data: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    for number, panel in enumerate(data.get("panels", []), start=1):
        panel["id"] = number  # stable ids, in layout order
    return data
