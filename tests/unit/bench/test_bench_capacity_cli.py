"""`bench capacity` hands the rates it is given to the run, with or without --ramp."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kansoku.bench import capacity, ramprun
from kansoku.bench.command import bench
from kansoku.bench.ramp import RampRecord, Rates
from kansoku.bench.report import ScenarioResult


def test_rates_per_signal_reach_the_capacity_run(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[capacity.CapacityOptions] = []

    def run(options: capacity.CapacityOptions, _report: object) -> ScenarioResult:
        seen.append(options)
        return ScenarioResult("capacity")

    monkeypatch.setattr(capacity, "run", run)
    args = ["capacity", "--spans-per-second", "20000", "--logs-per-second", "5000"]
    result = CliRunner().invoke(bench, [*args, "--duration", "60"])
    assert result.exit_code == 0, result.output
    assert seen[0].spans_per_second == 20_000
    assert seen[0].points_per_second == capacity.TARGET_RATE
    assert seen[0].logs_per_second == 5_000
    assert seen[0].duration == 60


def test_ramp_takes_the_rates_as_its_mix(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[ramprun.RampOptions] = []

    def run(options: ramprun.RampOptions, _report: object) -> RampRecord:
        seen.append(options)
        return RampRecord(options.mix, list(options.multipliers), 5, 0, options.criteria)

    monkeypatch.setattr(ramprun, "run", run)
    args = ["capacity", "--ramp", "--points-per-second", "4000", "--phases", "points,mixed"]
    result = CliRunner().invoke(bench, [*args, "--multipliers", "1,2", "--step-seconds", "10"])
    assert result.exit_code == 0, result.output
    assert seen[0].mix == Rates(ramprun.GOAL.spans, 4_000, ramprun.GOAL.logs)
    assert seen[0].multipliers == (1.0, 2.0)
    assert seen[0].phases == ("points", "mixed")
    assert seen[0].warmup_seconds == 5.0  # at most half the step
    assert "capacity-ramp" in result.output
