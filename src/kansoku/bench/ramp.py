"""The capacity ramp's plan, its records and its stop rule: pure data, no stack.

A ramp runs phases in a fixed order: each signal alone (spans, points, log records), then the
three together in the mix the rates give. A phase offers the mix times each multiplier in
turn, one step per multiplier, and ends at the first step that fails the stop rule:

- data lost: a signal's stored count stayed below what the collector accepted;
- refused or failed: the generator ended with items the collector refused or did not take;
- behind at the source: the generator sent less than ``min_rate_ratio`` of what was asked;
- behind at the sink: a signal's last item was stored more than ``max_drain_seconds`` after
  the load ended, or an exporter's backlog (queue or WAL lag) grew through the step.

``kansoku.bench.ramprun`` runs the steps on a stack; ``kansoku.bench.limits`` names the part
that gave out; ``kansoku.bench.plot`` draws the JSON written from ``RampRecord.to_json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from kansoku import conventions as cv

SIGNALS = ("spans", "points", "logs")
MIXED = "mixed"
LOADGEN = "bench-loadgen"  # the load generator's process, beside the stack's
PHASES = (*SIGNALS, MIXED)
DEFAULT_MULTIPLIERS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


@dataclass(frozen=True)
class Rates:
    """Items per second of each signal; 0 turns a signal off."""

    spans: float = 0.0
    points: float = 0.0
    logs: float = 0.0

    @property
    def total(self) -> float:
        return self.spans + self.points + self.logs

    def of(self, signal: str) -> float:
        return float(getattr(self, signal))

    def scaled(self, factor: float) -> Rates:
        return Rates(self.spans * factor, self.points * factor, self.logs * factor)

    def only(self, signal: str) -> Rates:
        return Rates(**{signal: self.of(signal)})

    def active(self) -> tuple[str, ...]:
        return tuple(s for s in SIGNALS if self.of(s) > 0)

    def label(self) -> str:
        return " + ".join(f"{self.of(s):,.0f} {s}/s" for s in self.active()) or "nothing"


def plan(
    mix: Rates, multipliers: Sequence[float], phases: Sequence[str] = PHASES
) -> dict[str, list[Rates]]:
    """The steps of each phase, in the ramp's order; a signal the mix leaves at 0 is skipped."""
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        raise ValueError(f"unknown ramp phase {unknown[0]!r}: expected one of {PHASES}")
    if any(m <= 0 for m in multipliers) or list(multipliers) != sorted(set(multipliers)):
        raise ValueError("ramp multipliers must be positive and strictly increasing")
    steps: dict[str, list[Rates]] = {}
    for phase in (p for p in PHASES if p in phases):
        base = mix if phase == MIXED else mix.only(phase)
        if base.total > 0:
            steps[phase] = [base.scaled(m) for m in multipliers]
    return steps


@dataclass
class SignalCount:
    """One signal in one step: asked, accepted by the collector, stored, and how late."""

    requested: float  # items/s
    sent: int = 0  # accepted by the collector
    refused: int = 0  # still refused (429/503) after the generator's retries
    failed: int = 0
    stored: float = 0.0
    drain_seconds: float | None = None  # load end until stored == sent; None: never

    def achieved(self, seconds: float) -> float:
        return self.sent / seconds if seconds else 0.0

    @property
    def lost(self) -> float:
        return max(0.0, self.sent - self.stored)


@dataclass
class Usage:
    """One process over the step's steady window."""

    cores: float = 0.0
    rss_max_mib: float = 0.0


@dataclass
class Backlog:
    """One exporter's backlog read every second of the load: its sending queue's size in
    batches, or for the remote-write WAL the MiB written and not yet read."""

    samples: list[float] = field(default_factory=list)
    capacity: float = 0.0  # 0 when unbounded or unknown

    @property
    def peak(self) -> float:
        return max(self.samples, default=0.0)

    @property
    def end(self) -> float:
        return self.samples[-1] if self.samples else 0.0

    def growing(self, floor: float) -> bool:
        """The last third sits above ``floor`` and well above the first third: not draining."""
        third = len(self.samples) // 3
        if third < 2:
            return False
        first = sum(self.samples[:third]) / third
        last = sum(self.samples[-third:]) / third
        return last > floor and last > 2 * first + 1


@dataclass
class StepRecord:
    """Everything measured in one step; ``problems`` and ``limit`` are filled in afterwards."""

    phase: str
    index: int
    rates: Rates
    seconds: float  # of load
    signals: dict[str, SignalCount]
    usage: dict[str, Usage] = field(default_factory=dict)  # collector, stores, generator
    machine_cores: float = 0.0  # the whole machine busy over the steady window
    backlogs: dict[str, Backlog] = field(default_factory=dict)  # by signal
    collector_refused: float = 0.0  # receiver refusals counted by the collector
    load_average: tuple[float, float] = (0.0, 0.0)  # 1-min, before and after
    problems: list[str] = field(default_factory=list)
    limit: str = ""
    evidence: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def items_per_second(self) -> float:
        """Items the collector accepted per second of load, every signal together."""
        return sum(c.achieved(self.seconds) for c in self.signals.values())

    def cpu_ms_per_thousand(self, name: str, signal: str | None = None) -> float:
        """CPU milliseconds ``name`` spent per 1,000 items (of ``signal``, or of all)."""
        rate = (
            self.signals[signal].achieved(self.seconds)
            if signal in self.signals
            else self.items_per_second
        )
        cores = self.usage.get(name, Usage()).cores
        return 1e6 * cores / rate if rate else 0.0


@dataclass(frozen=True)
class Criteria:
    """The stop rule's bounds."""

    min_rate_ratio: float = 0.95
    max_drain_seconds: float = 30.0
    backlog_floor: float = 20.0  # queue entries (batches) or WAL MiB


def problems(step: StepRecord, criteria: Criteria) -> list[str]:
    """Why ``step`` fails the stop rule, one line per reason; empty when it passes."""
    found = []
    for signal, count in step.signals.items():
        achieved = count.achieved(step.seconds)
        if count.lost:
            found.append(f"{signal}: lost {count.lost:,.0f} of {count.sent:,}")
        if count.refused or count.failed:
            found.append(f"{signal}: {count.refused:,} refused, {count.failed:,} failed at the end")
        if achieved < criteria.min_rate_ratio * count.requested:
            found.append(
                f"{signal}: sent {achieved:,.0f}/s of {count.requested:,.0f}/s asked "
                f"(behind at the source)"
            )
        if count.drain_seconds is None and not count.lost:
            found.append(f"{signal}: stored count never settled")
        elif count.drain_seconds is not None and count.drain_seconds > criteria.max_drain_seconds:
            found.append(
                f"{signal}: stored {count.drain_seconds:.0f}s after the load ended "
                f"(behind at the sink, bound {criteria.max_drain_seconds:.0f}s)"
            )
        backlog = step.backlogs.get(signal)
        if backlog is not None and backlog.growing(criteria.backlog_floor):
            found.append(f"{signal}: exporter backlog grew to {backlog.end:,.0f}")
    return found


@dataclass
class PhaseRecord:
    name: str
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def highest_ok(self) -> StepRecord | None:
        """The last step that passed before the first that failed (steps stop at a failure)."""
        passed = [s for s in self.steps if s.ok]
        return passed[-1] if passed else None

    @property
    def stopped_at(self) -> StepRecord | None:
        return next((s for s in self.steps if not s.ok), None)


@dataclass
class RampRecord:
    mix: Rates
    multipliers: list[float]
    step_seconds: float
    warmup_seconds: float
    criteria: Criteria
    phases: list[PhaseRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape ``kansoku.bench.plot`` reads (also written under the result)."""
        data = asdict(self)
        for phase, out in zip(self.phases, data["phases"], strict=True):
            best, stop = phase.highest_ok, phase.stopped_at
            out["highest_ok"] = best.index if best else None
            out["stopped_at"] = stop.index if stop else None
            for step, step_out in zip(phase.steps, out["steps"], strict=True):
                step_out["ok"] = step.ok
                step_out["items_per_second"] = step.items_per_second
                step_out["collector_cpu_ms_per_1k"] = step.cpu_ms_per_thousand(cv.COLLECTOR)
        return data


def rates_from_json(data: dict[str, Any]) -> Rates:
    return Rates(float(data["spans"]), float(data["points"]), float(data["logs"]))
