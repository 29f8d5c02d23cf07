"""``kansoku bench capacity --jaeger-storage opensearch`` runs the trace-store comparison."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kansoku.bench import capacity, command, tracestore
from kansoku.bench.report import Row, ScenarioResult


def test_opensearch_storage_compares_with_memory_at_the_given_duration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tracestore.TraceStoreOptions] = []

    def fake_run(options: tracestore.TraceStoreOptions, _report: object) -> ScenarioResult:
        asked.append(options)
        out = ScenarioResult("capacity-traces")
        out.add(Row("opensearch: span loss", 0, "spans", 0))
        return out

    monkeypatch.setattr(tracestore, "run", fake_run)
    result = CliRunner().invoke(
        command.bench, ["capacity", "--jaeger-storage", "opensearch", "--duration", "30"]
    )
    assert result.exit_code == 0, result.output
    assert asked == [tracestore.TraceStoreOptions(storage="opensearch", duration=30.0)]
    assert "opensearch: span loss" in result.output
    assert asked[0].spans_per_second == 5_000.0


def test_memory_storage_keeps_the_capacity_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    monkeypatch.setattr(tracestore, "run", lambda *_: ran.append("traces"))
    monkeypatch.setattr(
        capacity, "run", lambda *_: ran.append("capacity") or ScenarioResult("capacity")
    )
    result = CliRunner().invoke(command.bench, ["capacity"])
    assert result.exit_code == 0, result.output
    assert ran == ["capacity"]
