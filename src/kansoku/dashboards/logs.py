"""Log panels and the "logs of this trace" link: LogsQL queries against VictoriaLogs.

A log panel is a neutral :class:`~kansoku.dashboards.model.Panel` of kind ``logs`` with a
:class:`~kansoku.dashboards.model.LogQuery`; each renderer draws it (Grafana: the
``victoriametrics-logs-datasource`` plugin; Perses: ``VictoriaLogsLogQuery`` in a
``LogsTable``). The trace link's query leaves the trace id as :data:`CLICKED_VALUE`. Every
query is read back out of the generated Grafana JSON by ``queries.victorialogs_targets`` and
run against the live VictoriaLogs in the end-to-end test.
"""

from __future__ import annotations

from kansoku import conventions as cv
from kansoku.dashboards.model import LogQuery, Panel
from kansoku.verify import logsql

# What Grafana puts in a data link for the value of the clicked cell.
CLICKED_VALUE = "${__value.raw}"
# Severity numbers of the OTel log data model: 17-20 ERROR, 21-24 FATAL.
ERROR_SEVERITY = 17


def errors_of_service(variable: str) -> str:
    """Records of ERROR severity or worse from the services a dashboard variable selects.

    The logs datasource writes a multi-value variable as ``(a OR b)``, which LogsQL reads as
    either value of the field.
    """
    return f"{logsql.quote(cv.LOG_FIELD_SERVICE)}:${variable} severity_number:>={ERROR_SEVERITY}"


def of_trace(trace_id: str) -> str:
    """Every record of one trace (``trace_id`` may be the placeholder CLICKED_VALUE)."""
    return f"{logsql.quote(cv.LOG_FIELD_TRACE_ID)}:={logsql.quote(trace_id)}"


def logs_panel(
    title: str, description: str, expr: str, *, width: int = 24, height: int = 10
) -> Panel:
    """The newest records matching ``expr``, with their details."""
    return Panel("logs", title, description, log_query=LogQuery(expr), width=width, height=height)
