"""Pipeline stages 3 and 4: recording rules, then multi-window multi-burn-rate alerts.

One rule group per SLO, in dependency order (Prometheus evaluates a group's rules one after
another, so each rule sees the values recorded just before it):

1. ``slo:sli_error:ratio_rate<w>`` for every window the alerts need and for the period;
2. ``slo:sli_requests:rate<w>`` for the long windows, only with a minimum-traffic guard;
3. ``slo:burn_rate:ratio_rate<w>`` = error ratio / error budget;
4. ``slo:error_budget_remaining:ratio`` = 1 - period error ratio / budget (1 untouched, 0 spent,
   negative when overspent); ``slo:objective:ratio``; ``slo:burn_rate_threshold:ratio`` per pair;
   ``slo:error_budget_exhaustion:seconds`` at the current burn (absent while nothing burns);
5. one ``ErrorBudgetBurn`` alert per window pair (Google SRE Workbook, chapter 5).
"""

from __future__ import annotations

from typing import Any

from kansoku import conventions as cv
from kansoku.slo import promql
from kansoku.slo.spec import SLO, WindowPair, decimal_literal, format_duration

Rule = dict[str, Any]


def slo_labels(slo: SLO) -> dict[str, str]:
    """The labels every series and alert of ``slo`` carries, spec labels last."""
    return {
        cv.SLO_LABEL_ID: slo.id,
        cv.SLO_LABEL_SERVICE: slo.service,
        cv.SLO_LABEL_NAME: slo.name,
        **dict(slo.labels),
    }


def series(record: str, slo: SLO) -> str:
    """A recorded series of ``slo``, e.g. ``slo:burn_rate:ratio_rate1h{slo="shop-backend-…"}``."""
    return f'{record}{{{cv.SLO_LABEL_ID}="{slo.id}"}}'


def windowed(prefix: str, window: int) -> str:
    """A per-window rule name: ``slo:sli_error:ratio_rate`` + ``5m``."""
    return prefix + format_duration(window)


def pair_labels(severity: str, pair: WindowPair) -> dict[str, str]:
    return {
        cv.SLO_LABEL_SEVERITY: severity,
        cv.SLO_LABEL_LONG_WINDOW: format_duration(pair.long),
        cv.SLO_LABEL_SHORT_WINDOW: format_duration(pair.short),
    }


def _record(name: str, expr: str, labels: dict[str, str]) -> Rule:
    return {"record": name, "expr": expr, "labels": labels}


def recording_rules(slo: SLO, ratios: dict[int, str]) -> list[Rule]:
    """Every recording rule of ``slo``, in evaluation order; ``ratios`` maps each window to
    its error-ratio query (stage 2)."""
    labels = slo_labels(slo)
    budget = decimal_literal(slo.budget)
    rules = [
        _record(windowed(cv.SLO_RECORD_ERROR_RATIO, w), ratios[w], labels) for w in slo.windows
    ]
    if slo.min_requests_per_second is not None:
        rules += [
            _record(
                windowed(cv.SLO_RECORD_REQUESTS, w),
                f"{promql.total_rate(slo, w)} or vector(0)",
                labels,
            )
            for w in sorted({pair.long for _, pair in slo.pairs})
        ]
    rules += [
        _record(
            windowed(cv.SLO_RECORD_BURN_RATE, w),
            f"{series(windowed(cv.SLO_RECORD_ERROR_RATIO, w), slo)} / {budget}",
            labels,
        )
        for w in slo.windows
    ]
    return rules + _budget_rules(slo, labels)


def _budget_rules(slo: SLO, labels: dict[str, str]) -> list[Rule]:
    period_ratio = series(windowed(cv.SLO_RECORD_ERROR_RATIO, slo.period), slo)
    remaining = series(cv.SLO_RECORD_BUDGET_REMAINING, slo)
    burn = series(windowed(cv.SLO_RECORD_BURN_RATE, slo.exhaustion_window), slo)
    budget = decimal_literal(slo.budget)
    return [
        _record(cv.SLO_RECORD_BUDGET_REMAINING, f"1 - {period_ratio} / {budget}", labels),
        _record(cv.SLO_RECORD_OBJECTIVE, f"vector({decimal_literal(slo.objective_ratio)})", labels),
        *(
            _record(
                cv.SLO_RECORD_BURN_THRESHOLD,
                f"vector({decimal_literal(pair.factor)})",
                {**labels, **pair_labels(severity, pair)},
            )
            for severity, pair in slo.pairs
        ),
        _record(
            cv.SLO_RECORD_EXHAUSTION,
            f"clamp_min({remaining}, 0) * {slo.period * 60} / ({burn} > 0)",
            labels,
        ),
    ]


def alert_rules(slo: SLO) -> list[Rule]:
    """One alert per window pair: both windows' error ratios above factor x budget."""
    return [_alert(slo, severity, pair) for severity, pair in slo.pairs]


def alert_expr(slo: SLO, pair: WindowPair) -> str:
    """The condition of one pair, thresholds written as exact decimal literals."""
    threshold = decimal_literal(slo.threshold(pair))
    ratio = cv.SLO_RECORD_ERROR_RATIO
    expr = (
        f"{series(windowed(ratio, pair.long), slo)} > {threshold}\nand\n"
        f"{series(windowed(ratio, pair.short), slo)} > {threshold}"
    )
    if slo.min_requests_per_second is not None:
        requests = series(windowed(cv.SLO_RECORD_REQUESTS, pair.long), slo)
        expr += f"\nand\n{requests} >= {decimal_literal(slo.min_requests_per_second)}"
    return expr


def budget_left_query(slo: SLO) -> str:
    """The budget left in percent, to 0.1 (the resolution the rule tests state it at)."""
    return f"round(100 * {series(cv.SLO_RECORD_BUDGET_REMAINING, slo)}, 0.1)"


def alert_annotations(slo: SLO, severity: str, pair: WindowPair) -> dict[str, str]:
    """Static text, so rule tests can state it exactly, but for ``budget_left``: the budget
    remaining when the alert is evaluated (a template querying the recorded series)."""
    long, short = format_duration(pair.long), format_duration(pair.short)
    period = format_duration(slo.period)
    share = decimal_literal(pair.factor * pair.long / slo.period * 100)
    objective = decimal_literal(slo.objective)
    factor = decimal_literal(pair.factor)
    lead = (slo.description or f"SLO {slo.id}").rstrip(".")
    return {
        "summary": f"{slo.service} {slo.name}: error budget burning {factor}x "
        f"faster than sustainable over {long} and {short}",
        "description": f"{lead}. The objective is {objective}% over {period}; "
        f"at this rate an incident lasting {long} spends {share}% of the "
        f"error budget ({severity}).",
        "runbook_url": join_url(slo.runbook_base_url, cv.SLO_RUNBOOK_PATH),
        "dashboard": join_url(slo.dashboard_base_url, f"d/{cv.DASHBOARD_SLO_UID}"),
        "budget_left": (
            f"{{{{ with query `{budget_left_query(slo)}` }}}}"
            '{{ . | first | value | printf "%.1f" }}%{{ end }}'
        ),
    }


def join_url(base: str, path: str) -> str:
    """``base`` and ``path`` with exactly one slash between them."""
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def _alert(slo: SLO, severity: str, pair: WindowPair) -> Rule:
    return {
        "alert": cv.SLO_ALERT_BURN,
        "expr": alert_expr(slo, pair),
        "labels": pair_labels(severity, pair),
        "annotations": alert_annotations(slo, severity, pair),
    }


def rule_file(slo: SLO, recording: list[Rule], alerts: list[Rule]) -> dict[str, Any]:
    """The whole Prometheus rule file of one SLO: one group, recording rules first."""
    return {
        "groups": [{"name": f"{cv.SLO_RULE_FILE_PREFIX}{slo.id}", "rules": [*recording, *alerts]}]
    }
