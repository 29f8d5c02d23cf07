"""A small LogsQL client for VictoriaLogs (``/select/logsql/query``), and the queries we ask.

VictoriaLogs answers a query with JSON lines, one log entry per line; a stats query answers
with one line per group. Field names are those VictoriaLogs gives an OTLP record (see
``conventions.LOG_FIELD_*``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from kansoku import conventions as cv


def quote(value: str) -> str:
    """``value`` as a LogsQL string literal (JSON's escaping is LogsQL's)."""
    return json.dumps(value)


def field_equals(field: str, value: str) -> str:
    """An exact-match filter on one field, e.g. ``trace_id:="4bf9..."``."""
    return f"{quote(field)}:={quote(value)}"


def by_trace_id(trace_id: str) -> str:
    """Every log record of one trace."""
    return field_equals(cv.LOG_FIELD_TRACE_ID, trace_id.lower())


def query(
    victorialogs_url: str,
    logsql: str,
    *,
    limit: int | None = None,
    timeout: float = 10.0,
) -> list[dict[str, Any]]:
    """Run ``logsql``; the entries (or stats rows) it returns.

    ``limit`` keeps the newest entries. A refused query raises with VictoriaLogs' own reason.
    """
    params: dict[str, str] = {"query": logsql}
    if limit is not None:
        params["limit"] = str(limit)
    # POST with a form body: long queries never hit a URL length limit.
    resp = httpx.post(
        f"{victorialogs_url}{cv.VICTORIALOGS_QUERY_PATH}", data=params, timeout=timeout
    )
    if resp.status_code != 200:
        raise RuntimeError(f"LogsQL {logsql!r} refused ({resp.status_code}): {resp.text.strip()}")
    return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


def count(victorialogs_url: str, logsql: str, *, timeout: float = 30.0) -> int:
    """How many entries ``logsql`` matches, counted by VictoriaLogs itself."""
    rows = query(victorialogs_url, f"{logsql} | stats count() as n", timeout=timeout)
    return int(rows[0]["n"]) if rows else 0
