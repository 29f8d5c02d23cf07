"""The exact model the rule tests are derived from."""

from __future__ import annotations

from fractions import Fraction

import pytest

from conftest import shop_slos
from kansoku.slo import model
from kansoku.slo.model import History


def test_error_ratio_counts_increments_inside_the_window() -> None:
    history = History.of(1, [(10, 100, 0), (10, 100, 10)])
    assert history.error_ratio(5, 20) == Fraction(1, 10)  # 4 increments, all bad
    assert history.error_ratio(5, 12) == Fraction(2, 4) / 10  # 2 of 4 bad
    assert history.error_ratio(60, 20) == Fraction(100, 2000)  # since t=0: 20 increments


def test_zero_traffic_ratio_is_zero() -> None:
    assert History.of(1, [(30, 0, 0)]).error_ratio(5, 30) == 0


def test_detection_theory_matches_the_workbook() -> None:
    slo = next(s for s in shop_slos() if s.id == "shop-backend-availability")
    severity, page = slo.pairs[0]
    # burning at exactly 14.4x the budget, the 1h window needs the whole hour
    assert severity == "page"
    assert model.detection_minutes(slo, page, Fraction(144, 10000)) == 60


def test_decide_refuses_values_within_float_noise() -> None:
    with pytest.raises(model.AmbiguousError):
        model.decide(Fraction(1), Fraction(1))
    assert model.decide(Fraction(11, 10), Fraction(1))
