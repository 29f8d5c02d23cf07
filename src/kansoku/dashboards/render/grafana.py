"""Render a neutral dashboard as Grafana JSON, through grafana-foundation-sdk.

The SDK has no Jaeger or VictoriaLogs query type; their queries become the datasources' query
models as plain data (Jaeger ``queryType`` ``search`` / ``dependencyGraph``; VictoriaLogs
``expr`` with ``queryType: instant``).
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import (
    common,
    dashboard,
    logs,
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
    LogsSortOrder,
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
from kansoku.dashboards import logs as log_queries
from kansoku.dashboards import model

PROMETHEUS = DataSourceRef(type_val="prometheus", uid=conventions.DATASOURCE_PROMETHEUS_UID)
JAEGER = DataSourceRef(type_val="jaeger", uid=conventions.DATASOURCE_JAEGER_UID)
VICTORIALOGS = DataSourceRef(
    type_val=conventions.DATASOURCE_VICTORIALOGS_TYPE, uid=conventions.DATASOURCE_VICTORIALOGS_UID
)
AnyPanel = stat.Panel | timeseries.Panel | table.Panel | nodegraph.Panel | logs.Panel
# The trace id column of the Jaeger datasource's search results.
TRACE_ID_FIELD = "traceID"


def _query(item: model.Query) -> prometheus.Dataquery:
    built = prometheus.Dataquery().expr(item.expr)
    if item.instant:
        built = built.instant().format(PromQueryFormat.TABLE)
    else:
        built = built.legend_format(item.legend)
    built = built.ref_id(item.ref).datasource(PROMETHEUS)
    return built.exemplar(True) if item.exemplars else built


class _Jaeger(cogbuilder.Builder[cogvariants.Dataquery]):
    """A Jaeger datasource query (the SDK ships no Jaeger model), kept as plain data."""

    def __init__(self, query: model.TraceSearch | model.Dependencies) -> None:
        data: dict[str, Any] = {"refId": query.ref}
        if isinstance(query, model.Dependencies):
            data["queryType"] = "dependencyGraph"
        else:
            data.update(queryType="search", service=query.service)
            if query.operation:
                data["operation"] = query.operation
            if query.tags:
                data["tags"] = query.tags
            data["limit"] = query.limit
        self._model = {"datasource": {"type": JAEGER.type_val, "uid": JAEGER.uid}, **data}

    def build(self) -> cogvariants.Dataquery:
        return UnknownDataquery(dict(self._model))


def _logsql(query: model.LogQuery) -> dict[str, Any]:
    """The VictoriaLogs datasource's query model (``instant``: ``/select/logsql/query``)."""
    return {
        "datasource": {"type": VICTORIALOGS.type_val, "uid": VICTORIALOGS.uid},
        "refId": query.ref,
        "expr": query.expr,
        "queryType": "instant",
        "editorMode": "code",
    }


class _LogsQL(cogbuilder.Builder[cogvariants.Dataquery]):
    """A VictoriaLogs query (the SDK ships no model for it), kept as plain data."""

    def __init__(self, query: model.LogQuery) -> None:
        self._model = {**_logsql(query), "maxLines": query.max_lines}

    def build(self) -> cogvariants.Dataquery:
        return UnknownDataquery(dict(self._model))


def _trace_links() -> DynamicConfigValue:
    """Links of a trace id cell: the trace in Jaeger, and its log records in VictoriaLogs.

    A ``links`` override replaces the link the Jaeger datasource puts on the cell, so the one
    to the trace itself is given again beside the one to its logs.
    """
    trace = {
        "title": "Open this trace",
        "url": "",
        "internal": {
            "datasourceUid": JAEGER.uid,
            "datasourceName": "Jaeger",
            "query": {"query": log_queries.CLICKED_VALUE, "refId": "A"},  # by trace id
        },
    }
    of_trace = model.LogQuery(log_queries.of_trace(log_queries.CLICKED_VALUE))
    trace_logs = {
        "title": "Logs of this trace",
        "url": "",
        "internal": {
            "datasourceUid": VICTORIALOGS.uid,
            "datasourceName": "VictoriaLogs",
            "query": _logsql(of_trace),
        },
    }
    return DynamicConfigValue(id_val="links", value=[trace, trace_logs])


def _thresholds(steps: tuple[tuple[float | None, str], ...]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=v, color=c) for v, c in steps])
    )


def _stat(panel: model.Panel) -> stat.Panel:
    built = (
        stat.Panel()
        .title(panel.title)
        .description(panel.description)
        .datasource(PROMETHEUS)
        .unit(panel.unit)
        .decimals(panel.decimals if panel.decimals is not None else 2)
        .thresholds(_thresholds(panel.steps))
        .no_value(panel.no_value or "no data")
        .graph_mode(BigValueGraphMode.NONE)
        .color_mode(BigValueColorMode.VALUE)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
        .span(panel.width)
        .height(panel.height)
    )
    if panel.kind == "status":
        mapping = ValueMap(
            {
                "0": ValueMappingResult(text="DOWN", color=panel.steps[0][1], index=0),
                "1": ValueMappingResult(text="UP", color=panel.steps[-1][1], index=1),
            }
        )
        built = built.mappings([mapping]).color_mode(BigValueColorMode.BACKGROUND)
    return built


def _timeseries(panel: model.Panel) -> timeseries.Panel:
    built = (
        timeseries.Panel()
        .title(panel.title)
        .description(panel.description)
        .datasource(PROMETHEUS)
        .unit(panel.unit)
        .span(panel.width)
        .height(panel.height)
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
    if panel.soft_max is not None:
        built = built.axis_soft_max(panel.soft_max)
    return built


def _table(panel: model.Panel) -> table.Panel:
    built = (
        table.Panel()
        .title(panel.title)
        .description(panel.description)
        .show_header(True)
        .span(panel.width)
        .height(panel.height)
    )
    if panel.kind == "traces":
        built = built.datasource(JAEGER)
        if panel.trace_logs_link:
            built = built.override_by_name(TRACE_ID_FIELD, [_trace_links()])
        return built
    return built.datasource(PROMETHEUS).unit(panel.unit)


def _logs(panel: model.Panel) -> logs.Panel:
    return (
        logs.Panel()
        .title(panel.title)
        .description(panel.description)
        .datasource(VICTORIALOGS)
        .span(panel.width)
        .height(panel.height)
        .show_time(True)
        .wrap_log_message(True)
        .enable_log_details(True)
        .sort_order(LogsSortOrder.DESCENDING)
    )


def _dependencies(panel: model.Panel) -> nodegraph.Panel:
    return (
        nodegraph.Panel()
        .title(panel.title)
        .description(panel.description)
        .datasource(JAEGER)
        .span(panel.width)
        .height(panel.height)
        .nodes(nodegraph.NodeOptions())
        .edges(nodegraph.EdgeOptions())
    )


def panel(item: model.Panel) -> AnyPanel:
    """The SDK panel of one neutral panel, with its queries."""
    built: AnyPanel
    if item.kind in ("stat", "status"):
        built = _stat(item)
    elif item.kind == "timeseries":
        built = _timeseries(item)
    elif item.kind in ("table", "traces"):
        built = _table(item)
    elif item.kind == "logs":
        built = _logs(item)
    else:
        built = _dependencies(item)
    if item.trace_query is not None:
        return built.with_target(_Jaeger(item.trace_query))
    if item.log_query is not None:
        return built.with_target(_LogsQL(item.log_query))
    for query in item.queries:
        built = built.with_target(_query(query))
    return built


def _variable(item: model.Variable) -> cogbuilder.Builder[Any]:
    if isinstance(item, model.TextVariable):
        return dashboard.TextBoxVariable(item.name).label(item.label).default_value(item.default)
    variable = (
        dashboard.QueryVariable(item.name)
        .label(item.label)
        .datasource(PROMETHEUS)
        .query(item.definition)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(item.multi)
        .include_all(item.multi)
    )
    if item.multi:
        variable = variable.current(VariableOption(selected=True, text="All", value="$__all"))
    if item.all_value is not None:
        variable = variable.all_value(item.all_value)
    return variable


def _links(tag: str) -> list[cogbuilder.Builder[DashboardLink]]:
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


def render(board: model.Dashboard) -> dict[str, Any]:
    """The dashboard as plain JSON data (what Grafana's file provisioning reads)."""
    built = (
        dashboard.Dashboard(board.title)
        .uid(board.uid)
        .description(board.description)
        .tags(board.tags)
        .time(board.time_from, "now")
        .refresh(board.refresh)
        .timezone("browser")
        .links(_links(conventions.PROJECT))
    )
    for variable in board.variables:
        built.with_variable(_variable(variable))
    for item in board.items:
        if isinstance(item, model.Row):
            built.with_row(dashboard.Row(item.title))
        else:
            built.with_panel(panel(item))
    data: dict[str, Any] = json.loads(json.dumps(built.build(), cls=JSONEncoder))
    for number, item in enumerate(data.get("panels", []), start=1):
        item["id"] = number  # stable ids, in layout order
    return data
