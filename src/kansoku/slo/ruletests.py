"""Pipeline stage 5: promtool unit tests for each SLO, derived from :mod:`kansoku.slo.model`.

promtool evaluates every rule at every evaluation interval up to a group's last ``eval_time``,
and the interval is set per file, so each SLO gets one file per time scale:

``slo-<id>.alerts-<i>.test.yaml``, evaluated (and sampled) every ``i`` = long window / 60
(1m for 1h/5m, 6m for 6h/30m, 24m for 1d/2h, 72m for 3d/6h), for each pair at that scale:
  * a step to 1.1x the pair's threshold, after a clean history as long as the long window,
    is not firing two intervals before the theoretical detection time and is firing two
    intervals after it (the set of every firing pair is stated exactly at both instants);
  * a step to 0.9x the threshold never fires that pair, even once its long window is full;
  * zero traffic (flat counters, and no series at all) gives ratio 0, burn 0, budget 1, no
    time to exhaustion and no alert; never NaN (in the 1m file).
``slo-<id>.budget-<L>.test.yaml``, evaluated every long window ``L`` (sampled hourly) over one
whole period:
  * one incident that just trips the pair (its burn rate for its long window) leaves 98%,
    95%, 90% and 90% of the budget for the default pairs (rounded to 0.001);
  * (coarsest file) the budget is a ratio of sums: a failed step of low traffic weighs by its
    requests.
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kansoku import conventions as cv
from kansoku.errors import KansokuError
from kansoku.slo import model, rules
from kansoku.slo.model import History
from kansoku.slo.spec import SLO, WindowPair, decimal_literal, format_duration
from kansoku.slo.validate import example_value, negate

Doc = dict[str, Any]
SAMPLES_PER_LONG_WINDOW = 60  # evaluation interval = long window / this
STEP_UP, STEP_DOWN = Decimal("1.1"), Decimal("0.9")
_SETTLE = 5  # intervals past a full long window before checking a 0.9x burn
_ZERO_TRAFFIC_MINUTES = 3 * 60


class RuleTestError(KansokuError):
    """The model says a shipped claim cannot hold for this spec (e.g. detection too late)."""


def labelset(name: str, labels: dict[str, str]) -> str:
    """``name{a="b", ...}`` as promtool's ``series``/``labels`` fields want it."""
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{inner}}}"


def _values(increments: tuple[int, ...]) -> str:
    """promtool's expanding notation for a counter from ``COUNTER_OFFSET``."""
    value = model.COUNTER_OFFSET
    parts = [str(value)]
    for inc, group in itertools.groupby(increments):
        steps = len(list(group))
        parts.append(f"{value + inc}+{inc}x{steps - 1}")
        value += inc * steps
    return " ".join(parts)


def _labels_for(matchers: tuple[Any, ...], *, satisfy: bool) -> dict[str, str]:
    return {m.label: example_value(m if satisfy else negate(m)) or "" for m in matchers}


def input_series(slo: SLO, history: History) -> list[Doc]:
    """The raw series the services would have written for ``history``."""
    sli = slo.sli
    base = {cv.LABEL_SERVICE: slo.service, **_labels_for(sli.filters, satisfy=True)}
    good = tuple(t - b for t, b in zip(history.total, history.bad, strict=True))
    name = sli.metric.prometheus_name
    if sli.type == "availability":
        bad_labels = {
            **base,
            **_labels_for(sli.errors, satisfy=True),
            **_labels_for(sli.good, satisfy=False),
        }
        good_labels = {
            **base,
            **_labels_for(sli.errors, satisfy=False),
            **_labels_for(sli.good, satisfy=True),
        }
        return [
            {"series": labelset(name, good_labels), "values": _values(good)},
            {"series": labelset(name, bad_labels), "values": _values(history.bad)},
        ]
    assert sli.threshold is not None  # noqa: S101 - validate() guarantees it
    out = [{"series": labelset(f"{name}_count", base), "values": _values(history.total)}]
    if sli.type == "latency":
        buckets = [(sli.threshold, good)]
    else:  # apdex: bad = total - (le_T + le_4T) / 2
        le_t = tuple(max(0, t - 2 * b) for t, b in zip(history.total, history.bad, strict=True))
        le_4t = tuple(
            2 * t - 2 * b - lt for t, b, lt in zip(history.total, history.bad, le_t, strict=True)
        )
        buckets = [(sli.threshold, le_t), (sli.threshold * 4, le_4t)]
    for bound, increments in buckets:
        # Prometheus 3 writes bucket bounds as floats: 0.2 stays 0.2, 1 becomes 1.0.
        labels = {**base, "le": repr(float(bound))}
        out.append({"series": labelset(f"{name}_bucket", labels), "values": _values(increments)})
    return out


def traffic_unit(slo: SLO, ratios: list[Decimal], interval: int) -> int:
    """Requests per step: a power of ten making every bad count whole (and the guard met)."""
    places = [max(0, -int(r.normalize().as_tuple().exponent)) for r in ratios]
    unit: int = 10 ** max([2, *places])
    guard = slo.min_requests_per_second
    while guard is not None and unit < guard * 60 * interval * 10:
        unit *= 10
    return unit


def alert_interval(pair: WindowPair) -> int:
    """The evaluation (and sampling) interval of a pair's tests, in minutes."""
    most = max(1, pair.long // SAMPLES_PER_LONG_WINDOW)
    return max(d for d in range(1, most + 1) if pair.long % d == 0)


def _pair_name(severity: str, pair: WindowPair) -> str:
    return f"{severity} {format_duration(pair.long)}/{format_duration(pair.short)}"


def _expected_alerts(slo: SLO, history: History, t: int) -> list[Doc]:
    try:
        hot = model.firing(slo, history, t)
    except model.AmbiguousError as exc:
        raise RuleTestError(f"{slo.id}: no clear expectation at t={t}m: {exc}") from exc
    return [
        {
            "exp_labels": {**rules.slo_labels(slo), **rules.pair_labels(severity, pair)},
            "exp_annotations": {
                **rules.alert_annotations(slo, severity, pair),
                "budget_left": _budget_left(slo, history, t),
            },
        }
        for severity, pair in hot
    ]


def _budget_left(slo: SLO, history: History, t: int) -> str:
    """The ``budget_left`` annotation as Prometheus renders it at minute ``t``."""
    percent = _round_to(100 * model.budget_remaining(slo, history, t), Fraction(1, 10))
    return f"{percent:.1f}%"


def _alert_check(slo: SLO, history: History, t: int) -> Doc:
    return {
        "eval_time": format_duration(t),
        "alertname": cv.SLO_ALERT_BURN,
        "exp_alerts": _expected_alerts(slo, history, t),
    }


def _expr_check(expr: str, t: int, samples: list[Doc]) -> Doc:
    return {"expr": expr, "eval_time": format_duration(t), "exp_samples": samples}


def _step_history(slo: SLO, pair: WindowPair, ratio: Decimal, end: int) -> History:
    step = alert_interval(pair)
    unit = traffic_unit(slo, [ratio], step)
    bad = int(ratio * unit)
    return History.of(step, [(pair.long // step, unit, 0), ((end - pair.long) // step, unit, bad)])


def step_up_group(slo: SLO, severity: str, pair: WindowPair) -> Doc:
    """1.1x the threshold: fires, and within two evaluation intervals of theory."""
    step = alert_interval(pair)
    ratio = min(Decimal(1), STEP_UP * slo.threshold(pair))
    theory = pair.long + model.detection_minutes(slo, pair, Fraction(ratio))
    before = (math.floor(theory / step) - 2) * step
    after = (math.ceil(theory / step) + 2) * step
    history = _step_history(slo, pair, ratio, after)
    if model.fires(slo, pair, history, before) or not model.fires(slo, pair, history, after):
        raise RuleTestError(
            f"{slo.id} {_pair_name(severity, pair)}: detection would not land "
            f"within two evaluation intervals of {float(theory):.1f}m"
        )
    name = (
        f"{_pair_name(severity, pair)}: error ratio {decimal_literal(ratio)} (1.1x the "
        f"threshold) from t={format_duration(pair.long)}; theory says it fires at "
        f"t={float(theory):.2f}m, so not at {before}m and yes at {after}m"
    )
    return {
        "name": name,
        "interval": format_duration(step),
        "input_series": input_series(slo, history),
        "alert_rule_test": [_alert_check(slo, history, before), _alert_check(slo, history, after)],
        "promql_expr_test": [_exhaustion_check(slo, history, after)],
    }


def step_down_group(slo: SLO, severity: str, pair: WindowPair) -> Doc:
    """0.9x the threshold: the pair stays quiet even with its long window full of it."""
    step = alert_interval(pair)
    ratio = STEP_DOWN * slo.threshold(pair)
    end = 2 * pair.long + _SETTLE * step
    history = _step_history(slo, pair, ratio, end)
    if (severity, pair) in model.firing(slo, history, end):
        raise RuleTestError(f"{slo.id} {_pair_name(severity, pair)} would fire at 0.9x")
    name = (
        f"{_pair_name(severity, pair)}: error ratio {decimal_literal(ratio)} (0.9x the "
        f"threshold) from t={format_duration(pair.long)} never fires this pair"
    )
    return {
        "name": name,
        "interval": format_duration(step),
        "input_series": input_series(slo, history),
        "alert_rule_test": [_alert_check(slo, history, end)],
    }


def _round_to(value: Fraction, step: Fraction) -> Decimal:
    """PromQL ``round(value, step)`` = floor(value / step + 0.5) * step, refusing ties."""
    scaled = value / step + Fraction(1, 2)
    if abs(scaled - round(scaled)) <= model.MARGIN:
        raise RuleTestError(f"{float(value)} is too close to a rounding boundary")
    result = math.floor(scaled) * step
    return Decimal(result.numerator) / Decimal(result.denominator)


def _exhaustion_check(slo: SLO, history: History, t: int) -> Doc:
    remaining = max(Fraction(0), model.budget_remaining(slo, history, t))
    burn = history.error_ratio(slo.exhaustion_window, t) / Fraction(slo.budget)
    expr = f"round({rules.series(cv.SLO_RECORD_EXHAUSTION, slo)})"
    if burn == 0:  # e.g. samples sparser than the window: nothing burns, nothing runs out
        return _expr_check(expr, t, [])
    seconds = _round_to(remaining * slo.period * 60 / burn, Fraction(1))
    return _expr_check(expr, t, [{"labels": labelset("", rules.slo_labels(slo)), "value": seconds}])


def _value_check(slo: SLO, record: str, t: int, value: int | None) -> Doc:
    """``record`` of ``slo`` holds exactly ``value`` at ``t`` (``None``: no sample at all)."""
    samples = (
        []
        if value is None
        else [{"labels": labelset(record, rules.slo_labels(slo)), "value": value}]
    )
    return _expr_check(rules.series(record, slo), t, samples)


def zero_traffic_groups(slo: SLO, step: int) -> list[Doc]:
    """No requests at all (flat counters, or no series yet): defined values, never NaN."""
    end = _ZERO_TRAFFIC_MINUTES
    flat = History.of(step, [(end // step, 0, 0)])
    longest = max((p.long for _, p in slo.pairs), default=slo.period)
    checks = [
        _value_check(slo, rules.windowed(cv.SLO_RECORD_ERROR_RATIO, w), end, 0)
        for w in sorted({min(slo.windows), longest, slo.period})
    ]
    checks += [
        _value_check(slo, rules.windowed(cv.SLO_RECORD_BURN_RATE, slo.exhaustion_window), end, 0),
        _value_check(slo, cv.SLO_RECORD_BUDGET_REMAINING, end, 1),
        _value_check(slo, cv.SLO_RECORD_EXHAUSTION, end, None),
    ]
    alerts = [{"eval_time": format_duration(end), "alertname": cv.SLO_ALERT_BURN, "exp_alerts": []}]
    common = {
        "interval": format_duration(step),
        "alert_rule_test": alerts,
        "promql_expr_test": checks,
    }
    return [
        {
            "name": "zero traffic, counters flat: ratio 0, burn 0, budget 1, no alert",
            "input_series": input_series(slo, flat),
            **common,
        },
        {
            "name": "zero traffic, no series yet: ratio 0, burn 0, budget 1, no alert",
            "input_series": [],
            **common,
        },
    ]


def alert_test_files(slo: SLO, rule_file: str) -> dict[int, Doc]:
    """The alert test files of ``slo`` by evaluation interval (minutes), finest first."""
    by_interval: dict[int, list[Doc]] = {}
    for severity, pair in slo.pairs:
        by_interval.setdefault(alert_interval(pair), []).extend(
            [step_up_group(slo, severity, pair), step_down_group(slo, severity, pair)]
        )
    # Zero traffic is checked every minute, so the short windows hold flat samples.
    by_interval.setdefault(1, []).extend(zero_traffic_groups(slo, 1))
    return _test_files(rule_file, by_interval)


def budget_sample_interval(slo: SLO, evaluation: int) -> int:
    """Samples about hourly (at least 720 a period, so the one step of traffic before the
    period window's first sample is negligible), dividing the evaluation interval."""
    limit = max(1, slo.period // 720)
    base = math.gcd(evaluation, slo.period)
    return max(d for d in range(1, limit + 1) if base % d == 0)


def _remaining_check(slo: SLO, history: History, t: int) -> Doc:
    value = _round_to(model.budget_remaining(slo, history, t), Fraction(1, 1000))
    expr = f"round({rules.series(cv.SLO_RECORD_BUDGET_REMAINING, slo)}, 0.001)"
    return _expr_check(expr, t, [{"labels": labelset("", rules.slo_labels(slo)), "value": value}])


def incident_group(slo: SLO, severity: str, pair: WindowPair) -> Doc:
    """One incident at the pair's burn rate for its long window, mid-period."""
    step = budget_sample_interval(slo, pair.long)
    steps, length = slo.period // step, pair.long // step
    ratio = slo.threshold(pair)
    unit = traffic_unit(slo, [ratio], step)
    start = steps // 2
    history = History.of(
        step,
        [(start, unit, 0), (length, unit, int(ratio * unit)), (steps - start - length, unit, 0)],
    )
    left = 1 - pair.factor * pair.long / slo.period
    check = _remaining_check(slo, history, slo.period)
    if check["exp_samples"][0]["value"] != left.quantize(Decimal("0.001")):
        raise RuleTestError(
            f"{slo.id} {_pair_name(severity, pair)}: an incident that just "
            f"trips the pair would not leave {left} of the budget"
        )
    name = (
        f"{_pair_name(severity, pair)}: one incident that just trips the pair "
        f"({decimal_literal(pair.factor)}x for {format_duration(pair.long)}) leaves "
        f"{decimal_literal(left * 100)}% of the budget"
    )
    return {
        "name": name,
        "interval": format_duration(step),
        "input_series": input_series(slo, history),
        "promql_expr_test": [check],
    }


def weighting_group(slo: SLO, evaluation: int) -> Doc:
    """A fully failed step at a tenth of the usual traffic costs a tenth as much budget."""
    step = budget_sample_interval(slo, evaluation)
    steps = slo.period // step
    unit = traffic_unit(slo, [], step)
    quiet = unit // 10
    history = History.of(
        step, [(steps // 2, unit, 0), (1, quiet, quiet), (steps - steps // 2 - 1, quiet, 0)]
    )
    return {
        "name": "the budget is a ratio of sums: a failed step at low traffic weighs by "
        "its requests, not as one ratio among many",
        "interval": format_duration(step),
        "input_series": input_series(slo, history),
        "promql_expr_test": [_remaining_check(slo, history, slo.period)],
    }


def _test_files(rule_file: str, by_interval: dict[int, list[Doc]]) -> dict[int, Doc]:
    """One promtool test file per evaluation interval, holding that interval's groups."""
    return {
        step: {
            "rule_files": [rule_file],
            "evaluation_interval": format_duration(step),
            "tests": groups,
        }
        for step, groups in sorted(by_interval.items())
    }


def budget_test_files(slo: SLO, rule_file: str) -> dict[int, Doc]:
    """The budget test files of ``slo`` by evaluation interval (each pair's long window)."""
    by_interval: dict[int, list[Doc]] = {}
    for severity, pair in slo.pairs:
        by_interval.setdefault(pair.long, []).append(incident_group(slo, severity, pair))
    coarsest = max(by_interval, default=60)
    by_interval.setdefault(coarsest, []).append(weighting_group(slo, coarsest))
    return _test_files(rule_file, by_interval)
