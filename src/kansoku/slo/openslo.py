"""Import OpenSLO v1 documents, for the subset that maps onto kansoku's spec.

Supported: ``kind: SLO`` with an inline ``indicator`` whose ``spec`` is a ``ratioMetric``
(``counter: true``, ``bad`` and ``total`` Prometheus queries that are plain selectors of a
counter kansoku knows) or a ``thresholdMetric`` (a selector of a duration histogram kansoku
knows, with the objective's ``op: lte`` and ``value`` as the latency threshold);
``budgetingMethod: Occurrences``; one rolling ``timeWindow``; one objective with ``target``.
Anything else is named in a :class:`~kansoku.errors.ConfigError`.
"""

from __future__ import annotations

import re
from typing import Any

from kansoku import conventions
from kansoku.slo.fields import Fields
from kansoku.slo.loader import find_metric, parse_spec

_TOP = ("apiVersion", "kind", "metadata", "spec")
_SPEC = ("service", "description", "indicator", "timeWindow", "budgetingMethod", "objectives")
_INDICATOR = ("metadata", "spec")
_SLI_SPEC = ("ratioMetric", "thresholdMetric")
_RATIO = ("counter", "bad", "total")
_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$")
_SPLIT = re.compile(r',\s*(?=[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*")')


def _unsupported(fields: Fields, data: dict[str, Any], where: str, known: tuple[str, ...]) -> None:
    for key in data:
        if key not in known:
            fields.fail(
                f"{where}.{key}" if where else str(key),
                f"not supported by kansoku's OpenSLO import (supported here: {', '.join(known)})",
            )


def _section(fields: Fields, data: Any, where: str, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(data, dict):
        fields.fail(where, f"a mapping with {', '.join(known)}")
    _unsupported(fields, data, where, known)
    return data


def _selector(fields: Fields, source: Any, where: str) -> tuple[str, list[str]]:
    """Metric name and matchers of ``metricSource: {type: Prometheus, spec: {query: ...}}``."""
    src = _section(
        fields,
        fields.require(_section(fields, source, where, ("metricSource",)), "metricSource", where),
        f"{where}.metricSource",
        ("type", "spec"),
    )
    if src.get("type") != "Prometheus":
        fields.fail(f"{where}.metricSource.type", "Prometheus (the only source supported)")
    spec = _section(fields, src.get("spec"), f"{where}.metricSource.spec", ("query",))
    query = fields.string(spec.get("query"), f"{where}.metricSource.spec.query")
    match = _SELECTOR.match(query)
    if match is None:
        fields.fail(
            f"{where}.metricSource.spec.query",
            f'a plain series selector such as name{{label="value"}}, not {query!r}',
        )
    inner = (match.group(2) or "").strip().rstrip(",")
    return match.group(1), [m.strip() for m in _SPLIT.split(inner) if m.strip()]


def from_openslo(data: Any, source: str) -> list[Any]:
    """The SLO of one OpenSLO v1 ``kind: SLO`` document, as kansoku SLO objects."""
    fields = Fields(source)
    top = _section(fields, data, "", _TOP)
    if top.get("apiVersion") != "openslo/v1" or top.get("kind") != "SLO":
        fields.fail("apiVersion", "openslo/v1 with kind: SLO")
    name = fields.name(
        _section(fields, top.get("metadata"), "metadata", ("name", "displayName")).get("name"),
        "metadata.name",
    )
    spec = _section(fields, top.get("spec"), "spec", _SPEC)
    if spec.get("budgetingMethod") != "Occurrences":
        fields.fail("spec.budgetingMethod", "Occurrences (the only method supported)")
    window = _window(fields, spec.get("timeWindow"))
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or len(objectives) != 1:
        fields.fail("spec.objectives", "exactly one objective")
    objective = _section(
        fields, objectives[0], "spec.objectives[0]", ("displayName", "target", "op", "value")
    )
    target = fields.number(
        fields.require(objective, "target", "spec.objectives[0]"), "spec.objectives[0].target"
    )
    indicator = _section(fields, spec.get("indicator"), "spec.indicator", _INDICATOR)
    sli_spec = _section(fields, indicator.get("spec"), "spec.indicator.spec", _SLI_SPEC)
    sli = _sli(fields, sli_spec, objective)
    doc = {
        "service": spec.get("service"),
        "slos": [
            {
                "name": name,
                "objective": str((target * 100).normalize()),
                "period": window.get("duration"),
                "sli": sli,
                **({"description": spec["description"]} if "description" in spec else {}),
            }
        ],
    }
    return parse_spec(doc, source)


def _window(fields: Fields, windows: Any) -> dict[str, Any]:
    if not isinstance(windows, list) or len(windows) != 1:
        fields.fail("spec.timeWindow", "exactly one time window")
    window = _section(fields, windows[0], "spec.timeWindow[0]", ("duration", "isRolling"))
    if window.get("isRolling") is not True:
        fields.fail("spec.timeWindow[0].isRolling", "true (calendar windows are not supported)")
    return window


def _sli(fields: Fields, sli_spec: dict[str, Any], objective: dict[str, Any]) -> dict[str, Any]:
    where = "spec.indicator.spec"
    if "ratioMetric" in sli_spec:
        ratio = _section(fields, sli_spec["ratioMetric"], f"{where}.ratioMetric", _RATIO)
        if ratio.get("counter") is not True:
            fields.fail(f"{where}.ratioMetric.counter", "true (only counters are supported)")
        total_name, total = _selector(fields, ratio.get("total"), f"{where}.ratioMetric.total")
        bad_name, bad = _selector(fields, ratio.get("bad"), f"{where}.ratioMetric.bad")
        if bad_name != total_name:
            fields.fail(f"{where}.ratioMetric.bad", f"a selector of {total_name}, like total")
        filters = [m for m in total if not m.startswith(f"{conventions.LABEL_SERVICE}=")]
        errors = [m for m in bad if m not in total]
        return {"type": "availability", "metric": total_name, "filters": filters, "errors": errors}
    if objective.get("op") != "lte":
        fields.fail("spec.objectives[0].op", "lte (a latency threshold: good when <= value)")
    name, matchers = _selector(fields, sli_spec.get("thresholdMetric"), f"{where}.thresholdMetric")
    metric = find_metric(name.removesuffix("_bucket").removesuffix("_count"))
    if metric is None or metric.instrument != "histogram":
        fields.fail(f"{where}.thresholdMetric", f"a histogram kansoku knows, not {name!r}")
    filters = [m for m in matchers if not m.startswith((f"{conventions.LABEL_SERVICE}=", "le"))]
    return {
        "type": "latency",
        "metric": metric.prometheus_name,
        "filters": filters,
        "threshold": objective.get("value"),
    }
