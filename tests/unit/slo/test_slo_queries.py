"""SLI queries, decimal literals and the rules' shape."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from conftest import shop_slos
from kansoku import conventions as cv
from kansoku.slo import promql, rules
from kansoku.slo.spec import decimal_literal


def _go_float(value: float) -> str:
    """How Go's strconv.FormatFloat(v, 'f', -1, 64) (and older writers) spell a bound."""
    return repr(value).removesuffix(".0")


@given(st.sampled_from(cv.DURATION_BUCKETS_SECONDS), st.integers(min_value=0, max_value=3))
def test_le_regex_matches_every_spelling_of_its_bound(bound: float, zeros: int) -> None:
    pattern = promql.le_regex(Decimal(str(bound)))
    prom3 = repr(bound)  # Prometheus 3: 1.0, 0.2
    spellings = {prom3, _go_float(bound), prom3 + "0" * zeros}
    assert all(re.fullmatch(pattern, s) for s in spellings), (pattern, spellings)


@given(st.sampled_from(cv.DURATION_BUCKETS_SECONDS), st.sampled_from(cv.DURATION_BUCKETS_SECONDS))
def test_le_regex_matches_no_other_bound(bound: float, other: float) -> None:
    pattern = promql.le_regex(Decimal(str(bound)))
    assert (re.fullmatch(pattern, repr(other)) is not None) == (bound == other)


def test_decimal_literals_are_exact() -> None:
    assert decimal_literal(Decimal("14.4") * Decimal("0.001")) == "0.0144"
    assert decimal_literal(Decimal("100")) == "100"
    assert decimal_literal(Decimal("0.9333") * Decimal("0.001")) == "0.0009333"


def test_shop_specs_use_the_conventions_names_and_thresholds() -> None:
    slos = {s.id: s for s in shop_slos()}
    assert set(slos) == {
        f"{svc}-{n}"
        for svc in (cv.SHOP_BACKEND, cv.SHOP_FRONTEND)
        for n in ("availability", "latency", "apdex")
    }
    for slo in slos.values():
        assert slo.sli.metric in cv.METRICS
        assert slo.sli.metric.service == slo.service
        if slo.sli.type == "latency":
            assert slo.sli.threshold == Decimal(str(cv.SLO_LATENCY_THRESHOLD_SECONDS))
            assert slo.objective == 95
        if slo.sli.type == "apdex":
            assert slo.sli.threshold == Decimal(str(cv.APDEX_T_SECONDS))
            assert slo.sli.threshold * 4 == Decimal(str(cv.APDEX_4T_SECONDS))
        if slo.sli.type == "availability":
            assert slo.objective == Decimal("99.9")
        assert slo.period == 30 * 24 * 60


def test_queries_name_only_series_the_services_produce() -> None:
    produced = {m.prometheus_name for m in cv.METRICS}
    produced |= {f"{m.prometheus_name}_{s}" for m in cv.METRICS for s in ("bucket", "count")}
    for slo in shop_slos():
        expr = promql.error_ratio(slo, 300)
        names = set(re.findall(r"([a-z_:]+)\{", expr))
        assert names, expr
        assert names <= produced, names - produced
        assert f'{cv.LABEL_SERVICE}="{slo.service}"' in expr


def test_alert_thresholds_are_factor_times_budget_literals() -> None:
    slo = next(s for s in shop_slos() if s.id == "shop-backend-availability")
    exprs = [r["expr"] for r in rules.alert_rules(slo)]
    assert [e.split("> ")[1].split("\n")[0] for e in exprs] == ["0.0144", "0.006", "0.003", "0.001"]
    assert [r["labels"][cv.SLO_LABEL_SEVERITY] for r in rules.alert_rules(slo)] == [
        "page",
        "page",
        "ticket",
        "ticket",
    ]


def test_budget_remaining_is_a_ratio_of_sums_over_the_period() -> None:
    slo = next(s for s in shop_slos() if s.id == "shop-backend-latency")
    ratio = promql.error_ratio(slo, slo.period)
    assert "[30d]" in ratio
    assert "avg_over_time" not in ratio
    budget = next(
        r
        for r in rules.recording_rules(slo, dict.fromkeys(slo.windows, "x"))
        if r["record"] == cv.SLO_RECORD_BUDGET_REMAINING
    )
    assert budget["expr"] == '1 - slo:sli_error:ratio_rate30d{slo="shop-backend-latency"} / 0.05'
