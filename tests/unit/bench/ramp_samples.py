"""Recorded ramp steps for the unit tests: built the way ``ramprun`` builds them."""

from __future__ import annotations

from kansoku import conventions as cv
from kansoku.bench.ramp import (
    LOADGEN,
    Backlog,
    Criteria,
    PhaseRecord,
    RampRecord,
    Rates,
    SignalCount,
    StepRecord,
    Usage,
    problems,
)

SECONDS = 30.0


def step(
    rates: Rates,
    *,
    phase: str = "mixed",
    index: int = 0,
    sent_ratio: float = 1.0,
    stored_ratio: float = 1.0,
    drain: float | None = 5.0,
    cores: dict[str, float] | None = None,
    machine: float = 1.0,
    backlogs: dict[str, list[float]] | None = None,
    refused: float = 0.0,
) -> StepRecord:
    """A step at ``rates`` with what was measured; ``problems`` filled by the stop rule."""
    signals = {}
    for signal in rates.active():
        sent = int(rates.of(signal) * SECONDS * sent_ratio)
        signals[signal] = SignalCount(
            rates.of(signal), sent, stored=sent * stored_ratio, drain_seconds=drain
        )
    usage = {
        name: Usage(c, 100.0 + 10 * c)
        for name, c in (
            cores or {cv.COLLECTOR: 0.3, cv.PROMETHEUS: 0.1, cv.JAEGER: 0.1, cv.VICTORIALOGS: 0.05}
        ).items()
    }
    usage.setdefault(LOADGEN, Usage(0.2, 60.0))
    record = StepRecord(phase, index, rates, SECONDS, signals, usage, machine)
    record.backlogs = {s: Backlog(v, 5000.0) for s, v in (backlogs or {}).items()}
    record.collector_refused = refused
    record.load_average = (1.5, 2.0)
    record.problems = problems(record, Criteria())
    return record


def ramp() -> RampRecord:
    """Spans alone passing twice then failing on Jaeger's backlog; mixed passing once."""
    mix = Rates(20_000, 20_000, 10_000)
    spans = PhaseRecord("spans")
    spans.steps = [
        step(mix.only("spans").scaled(0.5), phase="spans", index=0),
        step(mix.only("spans"), phase="spans", index=1, cores={cv.COLLECTOR: 0.4}),
        step(
            mix.only("spans").scaled(2),
            phase="spans",
            index=2,
            drain=None,
            stored_ratio=0.9,
            backlogs={"spans": [0, 1, 5, 40, 80, 120, 200, 300, 400]},
        ),
    ]
    spans.steps[2].limit, spans.steps[2].evidence = "jaeger", "backlog grew"
    mixed = PhaseRecord("mixed", [step(mix, index=0, cores={cv.COLLECTOR: 0.5})])
    record = RampRecord(mix, [0.5, 1.0, 2.0], SECONDS, 10.0, Criteria())
    record.phases = [spans, mixed]
    return record
