"""The capacity ramp's plan, stop rule, drain polling and JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ramp_samples import ramp, step

from kansoku import conventions as cv
from kansoku.bench import rampreport, ramprun
from kansoku.bench.measure import MetricsText
from kansoku.bench.ramp import MIXED, Backlog, Criteria, Rates, plan, problems

MIX = Rates(20_000, 20_000, 10_000)


def test_plan_runs_each_signal_alone_then_the_mix() -> None:
    steps = plan(MIX, (0.5, 1.0, 2.0))
    assert list(steps) == ["spans", "points", "logs", MIXED]
    assert steps["spans"] == [Rates(10_000), Rates(20_000), Rates(40_000)]
    assert steps["logs"][2] == Rates(logs=20_000)
    assert steps[MIXED][1] == MIX


def test_plan_skips_a_signal_the_mix_leaves_out_and_keeps_the_phase_order() -> None:
    steps = plan(Rates(spans=1_000), (1.0,), phases=(MIXED, "points", "spans"))
    assert list(steps) == ["spans", MIXED]


@pytest.mark.parametrize("multipliers", [(1.0, 0.5), (0.0, 1.0), (1.0, 1.0)])
def test_plan_refuses_multipliers_that_do_not_climb(multipliers: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        plan(MIX, multipliers)


def test_plan_refuses_an_unknown_phase() -> None:
    with pytest.raises(ValueError, match="unknown ramp phase 'traces'"):
        plan(MIX, (1.0,), phases=("traces",))


def test_a_step_that_stored_everything_in_time_passes() -> None:
    assert step(MIX).problems == []
    assert step(MIX).ok


def test_stop_rule_names_loss_refusals_and_both_kinds_of_falling_behind() -> None:
    lost = step(MIX, stored_ratio=0.99)
    assert any("points: lost 6,000 of 600,000" in p for p in lost.problems)
    slow_source = step(MIX, sent_ratio=0.9)
    assert any("behind at the source" in p for p in slow_source.problems)
    slow_sink = step(MIX, drain=45.0)
    assert any("behind at the sink" in p for p in slow_sink.problems)
    never = step(MIX, drain=None)
    assert any("never settled" in p for p in never.problems)
    refused = step(Rates(spans=1_000))
    refused.signals["spans"].refused = 500
    assert problems(refused, Criteria()) == ["spans: 500 refused, 0 failed at the end"]


def test_a_backlog_that_grows_through_the_step_fails_it_and_one_that_drains_does_not() -> None:
    growing = step(MIX, backlogs={"logs": [0, 2, 3, 30, 60, 90, 150, 200, 260]})
    assert any("logs: exporter backlog grew to 260" in p for p in growing.problems)
    steady = step(MIX, backlogs={"logs": [10, 30, 12, 28, 11, 25, 14, 30, 9]})
    assert steady.ok
    assert not Backlog([0, 100]).growing(20)  # too few samples to tell


def test_drain_times_each_signal_until_it_reaches_its_target() -> None:
    now = [0.0]
    counts = {"spans": [0, 500, 1_000], "points": [0, 0, 0, 0]}

    def counter(signal: str) -> float:
        values = counts[signal]
        return values.pop(0) if len(values) > 1 else values[0]

    result = ramprun.drain(
        {s: (lambda s=s: counter(s)) for s in counts},
        {"spans": 1_000, "points": 10},
        timeout=60,
        quiet=5,
        clock=lambda: now[0],
        sleep=lambda dt: now.__setitem__(0, now[0] + dt),
    )
    assert result["spans"] == (1_000, 2.0)
    assert result["points"] == (0.0, None)  # stopped moving at 0 for 5 s


def test_drain_gives_up_at_its_timeout_while_a_count_still_creeps() -> None:
    now = [0.0]
    creeping = iter(range(1, 10_000))
    result = ramprun.drain(
        {"logs": lambda: float(next(creeping))},
        {"logs": 1e9},
        timeout=10,
        quiet=5,
        clock=lambda: now[0],
        sleep=lambda dt: now.__setitem__(0, now[0] + dt),
    )
    assert result["logs"][1] is None
    assert 10 <= result["logs"][0] <= 12


def test_backlogs_and_refusals_are_read_from_the_collectors_own_metrics() -> None:
    text = MetricsText(
        'otelcol_exporter_queue_size{exporter="otlp_grpc/jaeger"} 7\n'
        'otelcol_exporter_queue_capacity{exporter="otlp_grpc/jaeger"} 5000\n'
        'otelcol_exporter_queue_size{exporter="otlp_http/victorialogs"} 2\n'
        "otelcol_exporter_prometheusremotewrite_wal_bytes_written 30408704\n"
        "otelcol_exporter_prometheusremotewrite_wal_bytes_read 16777216\n"
        'otelcol_receiver_refused_spans_total{receiver="otlp"} 4\n'
        'otelcol_receiver_refused_log_records{receiver="otlp"} 6\n'
    )
    assert ramprun.read_backlogs(text) == {
        "spans": (7.0, 5000.0),
        "logs": (2.0, 0.0),
        "points": (13.0, 0.0),  # MiB written to the WAL and not yet read
    }
    assert ramprun.refused_total(text) == 10


def test_the_exporters_read_for_backlogs_are_the_collector_configs_own() -> None:
    config = yaml.safe_load(Path("config/collector/collector.yaml").read_text())
    for exporter in ramprun.EXPORTER_OF.values():
        assert exporter in config["exporters"]
        assert config["exporters"][exporter]["sending_queue"]["enabled"] is True
    assert "wal" in config["exporters"]["prometheus_remote_write"]


def test_load_config_adds_workers_as_the_request_rate_grows() -> None:
    stack = type("S", (), {"otlp_http": "http://127.0.0.1:1"})()
    low = ramprun._load_config(stack, "svc", Rates(spans=10_000), 30)  # type: ignore[arg-type]
    high = ramprun._load_config(stack, "svc", Rates(spans=200_000), 30)  # type: ignore[arg-type]
    assert low.concurrency == 4
    assert high.concurrency == 32  # 400 requests/s would want 40 workers: capped
    assert high.spans_per_second == 200_000
    assert high.points_per_second == 0


def test_json_holds_each_phase_its_ceiling_and_every_steps_cost(tmp_path: Path) -> None:
    data = json.loads(json.dumps(ramp().to_json()))
    spans = data["phases"][0]
    assert spans["highest_ok"] == 1
    assert spans["stopped_at"] == 2
    assert data["phases"][1]["stopped_at"] is None
    first = spans["steps"][0]
    assert first["ok"] is True
    assert first["items_per_second"] == pytest.approx(10_000)
    assert first["collector_cpu_ms_per_1k"] == pytest.approx(1e6 * 0.3 / 10_000)
    assert first["usage"][cv.COLLECTOR]["rss_max_mib"] == pytest.approx(103.0)
    assert spans["steps"][2]["limit"] == "jaeger"
    assert spans["steps"][2]["backlogs"]["spans"]["samples"][-1] == 400
    assert data["mix"] == {"spans": 20_000, "points": 20_000, "logs": 10_000}


def test_sizing_reads_the_hpa_target_and_the_collectors_cpu_request() -> None:
    scaling = rampreport.autoscaling()
    assert scaling.target_utilization == pytest.approx(0.7)
    assert scaling.request_cores == pytest.approx(0.1)
    lines = rampreport.sizing(ramp(), scaling)
    spans = next(line for line in lines if line.phase == "spans")
    assert spans.items_per_second == pytest.approx(20_000)  # the highest zero-loss step
    assert spans.per_core == pytest.approx(20_000 / 0.4)
    assert spans.per_core_at_target == pytest.approx(0.7 * 20_000 / 0.4)
    assert spans.per_replica_at_target == pytest.approx(0.1 * 0.7 * 20_000 / 0.4)


def test_result_rows_name_each_ceiling_and_the_limit_where_it_stopped() -> None:
    result = rampreport.result(ramp(), rampreport.Autoscaling(0.7, 0.1))
    rows = {r.metric: r for r in result.rows}
    assert rows["spans: highest zero-loss step"].value == pytest.approx(20_000)
    assert rows["spans: first failed step"].note.startswith("limit jaeger")
    assert rows["mixed: no step failed"].value == 1
    assert "mixed: items/s per collector core at the 70% HPA target" in rows
    assert result.details["ramp"]["phases"][0]["name"] == "spans"
