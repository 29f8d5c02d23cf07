"""The overhead bench's ratios to the stock instrumentation, and the callgrind output parser."""

from __future__ import annotations

import pytest

from kansoku.bench import comparison as cmp
from kansoku.bench.instructions import Count, parse_totals


def _round(number: int, bare: float, stock: float, off: float, on: float) -> cmp.Round:
    """Saturation runs where throughput is the inverse of CPU per request (one core)."""
    cpu = {cmp.BARE: bare, cmp.STOCK: stock, cmp.OFF: off, cmp.ON: on}
    return cmp.Round(number, {v: cmp.Saturated(1e6 / us, us) for v, us in cpu.items()})


def test_ratio_is_our_added_cpu_over_the_stock_added_cpu() -> None:
    r = _round(1, bare=500, stock=1000, off=2500, on=2900)
    assert r.cpu_added((cmp.BARE, cmp.STOCK)) == 500
    assert r.cpu_added((cmp.OFF, cmp.ON)) == 400
    assert r.cpu_ratio == pytest.approx(0.8)


def test_throughput_lost_compares_each_pair_with_its_own_baseline() -> None:
    r = _round(1, bare=500, stock=1000, off=2500, on=3000)
    assert r.lost((cmp.BARE, cmp.STOCK)) == pytest.approx(0.5)  # 2000 -> 1000 req/s
    assert r.lost((cmp.OFF, cmp.ON)) == pytest.approx(1 - 2500 / 3000)
    # The stock instrumentation doubles a cheap endpoint's cost; ours adds a fifth to a dear
    # one: the same 500 us, a third of the throughput loss.
    assert r.loss_ratio == pytest.approx((1 - 2500 / 3000) / 0.5)


def test_no_ratio_when_the_stock_instrumentation_added_nothing() -> None:
    r = _round(1, bare=500, stock=480, off=2500, on=2900)
    assert r.cpu_ratio is None
    rows = cmp.summary_rows([r])
    assert rows[0].limit is None
    assert "no ratio" in rows[0].note


def test_a_round_where_instrumentation_seems_to_save_cpu_is_left_out_of_the_median() -> None:
    # The machine's load changed between the runs: instrumentation cannot make a service faster.
    rounds = [_round(1, 500, 1000, 2500, 3000), _round(2, 500, 1000, 2500, 2000)]
    assert rounds[1].cpu_ratio is None
    row = cmp.summary_rows(rounds)[0]
    assert row.value == pytest.approx(1.0)
    assert row.note == "median of 2 rounds: 1.00, -"


def test_summary_is_the_median_of_the_rounds_and_shows_each_round() -> None:
    rounds = [
        _round(1, 500, 1000, 2500, 3000),  # 1.0
        _round(2, 500, 1000, 2500, 2750),  # 0.5
        _round(3, 500, 1000, 2500, 3500),  # 2.0
    ]
    cpu_row = cmp.summary_rows(rounds)[0]
    assert cpu_row.value == pytest.approx(1.0)
    assert cpu_row.met is True
    assert cpu_row.note == "median of 3 rounds: 1.00, 0.50, 2.00"


def test_a_ratio_above_one_misses_the_target() -> None:
    row = cmp.summary_rows([_round(1, 500, 1000, 2500, 3100)])[0]
    assert row.value == pytest.approx(1.2)
    assert row.met is False
    assert "MISSED" in _table(row)


def test_round_rows_name_each_round_and_pair() -> None:
    rows = cmp.round_rows([_round(1, 500, 1000, 2500, 2900), _round(2, 500, 900, 2500, 2800)])
    by_name = {r.metric: r.value for r in rows}
    assert by_name["round 2: stock added CPU per request"] == 400
    assert by_name["round 2: kansoku added CPU per request"] == 300
    assert by_name["round 1: stock throughput lost"] == pytest.approx(50.0)


def test_instruction_rows_give_the_ratio_once_all_four_are_counted() -> None:
    counts = {cmp.BARE: 1.0e6, cmp.STOCK: 3.5e6, cmp.OFF: 2.8e6, cmp.ON: 5.3e6}
    rows = {r.metric: r for r in cmp.instruction_rows(counts)}
    assert rows["stock added instructions per request"].value == pytest.approx(2.5e6)
    assert rows["kansoku added instructions per request"].value == pytest.approx(2.5e6)
    assert rows["added instructions per request, kansoku / stock"].value == pytest.approx(1.0)
    partial = cmp.instruction_rows({cmp.ON: 5.3e6})
    assert [r.metric for r in partial] == ["instrumented: instructions per request"]


def test_a_feature_shipped_off_costs_what_switching_it_on_adds() -> None:
    assert cmp.feature_cost("statement-span", full=5.0e6, switched=4.6e6) == pytest.approx(4e5)
    assert cmp.feature_cost("asgi-spans", full=5.0e6, switched=5.9e6) == pytest.approx(9e5)
    rows = cmp.feature_rows(5.0e6, {"exemplars": 4.9e6, "asgi-spans": 5.9e6})
    assert [(r.metric, r.value) for r in rows] == [
        ("cost of exemplars", pytest.approx(1e5)),
        ("cost of asgi-spans", pytest.approx(9e5)),
    ]
    assert "shipped off" in rows[1].note


def test_callgrind_totals_are_parsed_and_divided_per_request() -> None:
    text = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 0\ntotals: 96139370\n"
    assert parse_totals(text) == 96_139_370
    assert Count("bare", 100, parse_totals(text)).per_request == pytest.approx(961_393.7)
    with pytest.raises(ValueError, match="totals"):
        parse_totals("events: Ir\n")


def _table(row: object) -> str:
    from kansoku.bench.report import Row, ScenarioResult

    assert isinstance(row, Row)
    return ScenarioResult("overhead", [row]).table()
