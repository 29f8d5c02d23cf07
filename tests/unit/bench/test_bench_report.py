"""Rows judge their targets; tables and JSON carry every figure."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kansoku.bench.command import bench
from kansoku.bench.report import Row, ScenarioResult, write_json


def test_row_meets_a_ceiling_or_a_floor() -> None:
    assert Row("cpu", 0.4, "cores", 0.5).met is True
    assert Row("cpu", 0.6, "cores", 0.5).met is False
    assert Row("rate", 9_000, "1/s", 10_000, higher_is_better=True).met is False
    assert Row("rate", 12_000, "1/s", 10_000, higher_is_better=True).met is True
    assert Row("info", 1, "x").met is None


def test_table_names_missed_targets() -> None:
    result = ScenarioResult("capacity", [Row("span loss", 3, "spans", 0), Row("rate", 5, "1/s")])
    table = result.table()
    assert "== capacity ==" in table
    assert "MISSED" in table
    assert "<= 0" in table


def test_json_holds_machine_command_and_verdicts(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    write_json(out, [ScenarioResult("startup", [Row("up", 3.2, "s", 5)])], ["kansoku", "bench"])
    doc = json.loads(out.read_text())
    assert doc["command"] == "kansoku bench"
    assert doc["machine"]["cpus"] >= 1
    assert doc["results"][0]["rows"][0]["met"] is True


def test_bench_group_lists_every_scenario() -> None:
    result = CliRunner().invoke(bench, ["--help"])
    assert result.exit_code == 0
    for name in ("capacity", "overhead", "footprint", "startup", "all"):
        assert name in result.output


def test_duration_below_five_seconds_is_refused() -> None:
    result = CliRunner().invoke(bench, ["capacity", "--duration", "1"])
    assert result.exit_code == 2
    assert "--duration" in result.output
