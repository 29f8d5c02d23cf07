"""Read the queries back out of dashboard JSON: every PromQL expression, Jaeger query and
LogsQL query per panel, the variables, Grafana's variable expansion, the metric names an
expression uses, and a parse check of every expression with the real ``promtool``.

The unit tests, ``kansoku dashboards check`` and the end-to-end test all use these, so they
check exactly what Grafana would run.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kansoku import conventions as cv
from kansoku.slo import promtool

# What Grafana substitutes for its built-in variables, for checks outside Grafana.
BUILTINS: dict[str, str] = {"__rate_interval": "1m", "__range": "15m", "__interval": "15s"}
_PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                 "or", "unless", "offset", "inf", "nan", "le"}  # fmt: skip


@dataclass(frozen=True)
class PromTarget:
    panel: str
    expr: str
    instant: bool


@dataclass(frozen=True)
class JaegerTarget:
    panel: str
    model: Mapping[str, Any]


@dataclass(frozen=True)
class LogsTarget:
    """A LogsQL query of a panel; ``trace_link`` when it is a link opened from a trace id
    (the id is Grafana's ``${__value.raw}`` in ``expr``)."""

    panel: str
    expr: str
    trace_link: bool = False


@dataclass(frozen=True)
class Variable:
    """A dashboard variable: ``query`` is ``label_values(...)`` or a textbox's default."""

    name: str
    kind: str
    query: str
    multi: bool
    all_value: str | None


def _panels(board: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # collapsed rows keep their panels inside


def prometheus_targets(board: Mapping[str, Any]) -> list[PromTarget]:
    return [
        PromTarget(panel["title"], target["expr"], bool(target.get("instant")))
        for panel in _panels(board)
        for target in panel.get("targets", [])
        if (target.get("datasource") or {}).get("type") == "prometheus"
    ]


def jaeger_targets(board: Mapping[str, Any]) -> list[JaegerTarget]:
    return [
        JaegerTarget(panel["title"], target)
        for panel in _panels(board)
        for target in panel.get("targets", [])
        if (target.get("datasource") or {}).get("type") == "jaeger"
    ]


def victorialogs_targets(board: Mapping[str, Any]) -> list[LogsTarget]:
    """Every LogsQL query: panel targets, and the data links that open a query in Explore."""
    found = [
        LogsTarget(panel["title"], target["expr"])
        for panel in _panels(board)
        for target in panel.get("targets", [])
        if (target.get("datasource") or {}).get("type") == cv.DATASOURCE_VICTORIALOGS_TYPE
    ]
    for panel in _panels(board):
        for override in panel.get("fieldConfig", {}).get("overrides", []):
            for prop in override.get("properties", []):
                if prop.get("id") != "links":
                    continue
                for link in prop.get("value", []):
                    internal = link.get("internal") or {}
                    if internal.get("datasourceUid") == cv.DATASOURCE_VICTORIALOGS_UID:
                        found.append(LogsTarget(panel["title"], internal["query"]["expr"], True))
    return found


def variables(board: Mapping[str, Any]) -> list[Variable]:
    found = []
    for item in board.get("templating", {}).get("list", []):
        query = item.get("query", "")
        if isinstance(query, dict):
            query = query.get("query", "")
        found.append(
            Variable(
                item["name"],
                item["type"],
                str(query),
                bool(item.get("multi")),
                item.get("allValue"),
            )
        )
    return found


def label_values_call(definition: str) -> tuple[str | None, str]:
    """``label_values(selector, label)`` -> (selector or None, label)."""
    match = re.fullmatch(r"\s*label_values\(\s*(?:(.*\S)\s*,\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*",
                         definition, re.DOTALL)  # fmt: skip
    if match is None:
        raise ValueError(f"not a label_values() variable query: {definition!r}")
    return match.group(1), match.group(2)


def regex_of(values: Iterable[str]) -> str:
    """What Grafana puts in ``=~"$var"`` for several values: escaped, joined, in parentheses.

    The escaping is doubled because the regex sits in a PromQL string literal."""
    escaped = [re.escape(v).replace("\\", "\\\\") for v in values]
    return "(" + "|".join(escaped) + ")"


def expand(text: str, values: Mapping[str, str]) -> str:
    """Replace ``$name`` and ``${name}`` with ``values`` (plus Grafana's built-ins)."""
    every = {**BUILTINS, **values}

    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in every:
            raise KeyError(f"no value for variable ${name} in {text!r}")
        return every[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", sub, text)


def placeholders(board: Mapping[str, Any]) -> dict[str, str]:
    """Values good enough to parse every expression: textbox defaults, ``.+`` otherwise."""
    return {v.name: v.query if v.kind == "textbox" else ".+" for v in variables(board)}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (not functions, keywords or label names)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range selectors
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # unexpanded variables
    names = set()
    for match in re.finditer(r"(?<![\w.:])([A-Za-z_:][\w:]*)\s*(\()?", text):
        name, call = match.group(1), match.group(2)
        if call is None and name.lower() not in _PROMQL_WORDS:
            names.add(name)
    return names


def check_with_promtool(exprs: Iterable[str]) -> promtool.Result:
    """``promtool check rules`` on a temporary rule file holding each expression as a rule."""
    rules = [{"record": f"dashboard:check_{i}:expr", "expr": e} for i, e in enumerate(exprs)]
    doc = {"groups": [{"name": "dashboard-expressions", "rules": rules}]}
    with tempfile.TemporaryDirectory(prefix="kansoku-dashboards-") as tmp:
        path = Path(tmp) / "dashboards.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return promtool.check_rules([path])
