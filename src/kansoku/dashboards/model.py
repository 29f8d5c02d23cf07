"""The renderer-neutral dashboard model: what a dashboard shows, not how a tool stores it.

The dashboard modules (overview, application, ...) build these plain values; each renderer in
:mod:`kansoku.dashboards.render` turns one into its tool's JSON (Grafana, Perses). A query is
written once here, so every rendering of a panel runs the same expression.

Units are Grafana's unit ids (``percentunit``, ``reqps``, ``s``...), the richer vocabulary;
each renderer maps them to its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PanelKind = Literal["stat", "status", "timeseries", "table", "traces", "dependencies", "logs"]


@dataclass(frozen=True)
class Query:
    """A PromQL query; ``instant`` queries feed tables (one row per series)."""

    expr: str
    legend: str = ""
    ref: str = "A"
    exemplars: bool = False
    instant: bool = False


@dataclass(frozen=True)
class TraceSearch:
    """A Jaeger trace search; ``tags`` in logfmt (``http.response.status_code=503``)."""

    service: str
    tags: str = ""
    operation: str = ""
    limit: int = 20
    ref: str = "A"


@dataclass(frozen=True)
class LogQuery:
    """A LogsQL query to VictoriaLogs; a ``logs`` panel shows its newest ``max_lines`` records."""

    expr: str
    max_lines: int = 100
    ref: str = "A"


@dataclass(frozen=True)
class Dependencies:
    """Jaeger's service dependency graph over the time range."""

    ref: str = "A"


@dataclass(frozen=True)
class Panel:
    """One panel; ``steps`` colour a value from each bound up (``None`` is the base colour)."""

    kind: PanelKind
    title: str
    description: str
    queries: tuple[Query, ...] = ()
    trace_query: TraceSearch | Dependencies | None = None
    log_query: LogQuery | None = None
    # A traces panel: each trace id also links to the trace's log records.
    trace_logs_link: bool = False
    unit: str = "none"
    decimals: int | None = None
    steps: tuple[tuple[float | None, str], ...] = ()
    width: int = 12
    height: int = 8
    no_value: str | None = None
    soft_max: float | None = None


@dataclass(frozen=True)
class Row:
    """A titled section; the panels after it (until the next row) belong to it.

    ``cluster_only`` rows have data only in a cluster: the console (local mode) shows them
    collapsed, with a note, rather than as empty panels.
    """

    title: str
    cluster_only: bool = False


@dataclass(frozen=True)
class QueryVariable:
    """A variable filled by ``label_values(selector, label)`` from Prometheus."""

    name: str
    label: str
    definition: str
    multi: bool = True
    all_value: str | None = None

    def label_values(self) -> tuple[str, str]:
        """``(selector, label)`` of the ``label_values(...)`` definition."""
        inner = self.definition.strip().removeprefix("label_values(").removesuffix(")")
        selector, _, label = inner.rpartition(",")
        if not selector or not label.strip():
            raise ValueError(f"variable {self.name}: not label_values(selector, label)")
        return selector.strip(), label.strip()


@dataclass(frozen=True)
class TextVariable:
    """A free-text variable with a default (a number a query compares against)."""

    name: str
    label: str
    default: str


Variable = QueryVariable | TextVariable


@dataclass
class Dashboard:
    """A dashboard: rows and panels in layout order, variables, time range and refresh."""

    uid: str
    title: str
    description: str
    tags: list[str]
    time_from: str = "now-1h"
    refresh: str = "30s"
    # What the console opens on: a local stack is often minutes old, and a longer range draws
    # its data as a sliver at the right edge.
    local_time_from: str = "now-15m"
    variables: list[Variable] = field(default_factory=list)
    items: list[Row | Panel] = field(default_factory=list)

    def with_row(self, row: Row) -> Dashboard:
        self.items.append(row)
        return self

    def with_panel(self, panel: Panel) -> Dashboard:
        self.items.append(panel)
        return self

    def with_variable(self, variable: Variable) -> Dashboard:
        self.variables.append(variable)
        return self

    def panels(self) -> list[Panel]:
        return [item for item in self.items if isinstance(item, Panel)]
