"""Read SLO specs (``config/slo/*.yaml``) into :class:`~kansoku.slo.spec.SLO` objects.

A spec file describes one service::

    service: shop-backend
    labels: {team: shop}              # optional, added to every series and alert; `team`
                                      # picks the Alertmanager receivers (docs/alerting.md)
    slos:
      - name: availability
        objective: 99.9               # percent
        period: 30d                   # 30d (default), 28d or 7d
        sli: {type: availability, metric: http.server.requests}
        alerting: {ticket: {disabled: true}}   # optional overrides

This module checks shape and types; :mod:`kansoku.slo.validate` checks meaning.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kansoku import conventions, locations
from kansoku.errors import ConfigError
from kansoku.slo.fields import Fields
from kansoku.slo.spec import (
    SLI,
    SLI_TYPES,
    SLO,
    Matcher,
    Tier,
    WindowPair,
    factor_from_share,
)

_FILE_FIELDS = ("service", "labels", "slos")
_SLO_FIELDS = ("name", "description", "objective", "period", "sli", "alerting", "labels")
_SLI_FIELDS = ("type", "metric", "filters", "errors", "good", "threshold")
_ALERTING_FIELDS = (*conventions.SLO_SEVERITIES, "min_requests_per_second")
_TIER_FIELDS = ("disabled", "windows")
_PAIR_FIELDS = ("long", "short", "factor", "budget_share")
RESERVED_LABELS = (
    "alertname",
    "le",
    conventions.LABEL_SERVICE,
    conventions.SLO_LABEL_ID,
    conventions.SLO_LABEL_SERVICE,
    conventions.SLO_LABEL_NAME,
    conventions.SLO_LABEL_SEVERITY,
    conventions.SLO_LABEL_LONG_WINDOW,
    conventions.SLO_LABEL_SHORT_WINDOW,
)
DEFAULT_PERIOD = "30d"


def source_name(path: Path) -> str:
    """How generated headers and errors name a spec: relative to the checkout when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(locations.project_root()).as_posix()
    except ValueError:
        return path.name


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; unreadable or malformed files become a ConfigError."""
    name = source_name(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(name, "(file)", f"a readable file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(name, "(file)", f"valid YAML ({exc})") from exc


def load_dir(directory: Path) -> list[SLO]:
    """Every SLO of every ``*.yaml`` spec in ``directory``, files in name order."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError(source_name(directory), "(directory)", "at least one *.yaml SLO spec")
    return [slo for path in files for slo in load_file(path)]


def load_file(path: Path) -> list[SLO]:
    """The SLOs of one spec file (kansoku format, or OpenSLO v1 when it says so)."""
    data = read_yaml(path)
    if isinstance(data, dict) and "apiVersion" in data:
        from kansoku.slo.openslo import from_openslo

        return from_openslo(data, source_name(path))
    return parse_spec(data, source_name(path))


def parse_spec(data: Any, source: str) -> list[SLO]:
    """The SLOs of one parsed kansoku spec document."""
    fields = Fields(source)
    doc = fields.mapping(data, "", _FILE_FIELDS)
    service = fields.name(fields.require(doc, "service", ""), "service")
    labels = fields.labels(doc.get("labels"), "labels", RESERVED_LABELS)
    slos = fields.require(doc, "slos", "")
    if not isinstance(slos, list) or not slos:
        fields.fail("slos", "a non-empty list of SLOs")
    return [_parse_slo(fields, item, f"slos[{i}]", service, labels) for i, item in enumerate(slos)]


def _parse_slo(
    fields: Fields, data: Any, where: str, service: str, file_labels: tuple[tuple[str, str], ...]
) -> SLO:
    doc = fields.mapping(data, where, _SLO_FIELDS)
    period = fields.duration(doc.get("period", DEFAULT_PERIOD), f"{where}.period")
    own = fields.labels(doc.get("labels"), f"{where}.labels", RESERVED_LABELS)
    alerting = fields.mapping(doc.get("alerting") or {}, f"{where}.alerting", _ALERTING_FIELDS)
    guard = alerting.get("min_requests_per_second")
    description = doc.get("description", "")
    return SLO(
        service=service,
        name=fields.name(fields.require(doc, "name", where), f"{where}.name"),
        objective=fields.number(fields.require(doc, "objective", where), f"{where}.objective"),
        period=period,
        sli=_parse_sli(fields, fields.require(doc, "sli", where), f"{where}.sli"),
        tiers=_parse_tiers(fields, alerting, f"{where}.alerting", period),
        source=fields.file,
        where=where,
        description=fields.string(description, f"{where}.description") if description else "",
        min_requests_per_second=(
            None
            if guard is None
            else fields.number(guard, f"{where}.alerting.min_requests_per_second")
        ),
        labels=tuple(sorted({**dict(file_labels), **dict(own)}.items())),
    )


def _parse_sli(fields: Fields, data: Any, where: str) -> SLI:
    doc = fields.mapping(data, where, _SLI_FIELDS)
    kind = doc.get("type")
    if kind not in SLI_TYPES:
        fields.fail(f"{where}.type", f"one of {', '.join(SLI_TYPES)}, not {kind!r}")
    metric_name = fields.string(fields.require(doc, "metric", where), f"{where}.metric")
    metric = find_metric(metric_name)
    if metric is None:
        known = ", ".join(m.otel_name for m in conventions.METRICS)
        fields.fail(f"{where}.metric", f"a metric kansoku knows ({known}), not {metric_name!r}")
    errors = fields.matchers(doc.get("errors"), f"{where}.errors")
    good = fields.matchers(doc.get("good"), f"{where}.good")
    if kind == "availability" and not errors and not good:
        errors = (Matcher(conventions.LABEL_STATUS, "=~", conventions.SLO_ERROR_STATUS_REGEX),)
    threshold = doc.get("threshold")
    return SLI(
        type=kind,
        metric=metric,
        filters=fields.matchers(doc.get("filters"), f"{where}.filters"),
        errors=errors,
        good=good,
        threshold=None if threshold is None else fields.number(threshold, f"{where}.threshold"),
    )


def find_metric(name: str) -> conventions.Metric | None:
    """A metric of ``conventions.METRICS`` by its OTel or its Prometheus name."""
    for metric in conventions.METRICS:
        if name in (metric.otel_name, metric.prometheus_name):
            return metric
    return None


def default_windows() -> dict[str, list[dict[str, Any]]]:
    """The shipped window pairs per severity (``windows.yaml`` beside this module)."""
    text = resources.files("kansoku.slo").joinpath("windows.yaml").read_text(encoding="utf-8")
    data: dict[str, list[dict[str, Any]]] = yaml.safe_load(text)
    return data


def _parse_tiers(
    fields: Fields, alerting: dict[str, Any], where: str, period: int
) -> tuple[Tier, ...]:
    defaults = default_windows()
    tiers = []
    for severity in conventions.SLO_SEVERITIES:
        field = f"{where}.{severity}"
        tier = fields.mapping(alerting.get(severity) or {}, field, _TIER_FIELDS)
        if fields.flag(tier.get("disabled", False), f"{field}.disabled"):
            continue
        raw = tier.get("windows", defaults[severity])
        if not isinstance(raw, list) or not raw:
            fields.fail(f"{field}.windows", "a non-empty list of {long, short, factor} pairs")
        pairs = tuple(
            _parse_pair(fields, item, f"{field}.windows[{i}]", period) for i, item in enumerate(raw)
        )
        tiers.append(Tier(severity, pairs))
    return tuple(tiers)


def _parse_pair(fields: Fields, data: Any, where: str, period: int) -> WindowPair:
    doc = fields.mapping(data, where, _PAIR_FIELDS)
    long = fields.duration(fields.require(doc, "long", where), f"{where}.long")
    short = fields.duration(fields.require(doc, "short", where), f"{where}.short")
    if ("factor" in doc) == ("budget_share" in doc):
        fields.fail(where, "exactly one of factor or budget_share")
    if "factor" in doc:
        factor = fields.number(doc["factor"], f"{where}.factor")
    else:
        share = fields.number(doc["budget_share"], f"{where}.budget_share")
        if not 0 < share <= 1:
            fields.fail(f"{where}.budget_share", f"a share of the budget in (0, 1], not {share}")
        factor = factor_from_share(share, period, long)
    if factor <= 0:
        fields.fail(f"{where}.factor", f"a positive burn-rate factor, not {factor}")
    return WindowPair(long, short, factor)
