"""What the generated rules must compute for a synthetic traffic history, worked out exactly.

The promtool tests are derived from this model, so it mirrors how Prometheus evaluates the
rules: ``rate()`` over a window ``(t - w, t]`` sees the samples inside it, and because the bad
and the total counters are sampled at the same instants (and start far from zero) they are
extrapolated alike, so their ratio is exactly ``bad increase / total increase`` between the
window's first and last samples. Everything is a :class:`~fractions.Fraction`; a comparison
that lands too close to a threshold to be decided safely in floating point raises
:class:`AmbiguousError` instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from kansoku.slo.spec import SLO, WindowPair

# Counters start here, so Prometheus never assumes they began at zero inside a window.
COUNTER_OFFSET = 1_000_000_000
MARGIN = Fraction(1, 10**6)


class AmbiguousError(Exception):
    """A value lands within float noise of a threshold; the test would be flaky."""


@dataclass(frozen=True)
class History:
    """Traffic sampled every ``interval`` minutes from t=0.

    ``total[j]`` and ``bad[j]`` are the increments between samples ``j`` and ``j + 1``.
    """

    interval: int
    total: tuple[int, ...]
    bad: tuple[int, ...]

    @classmethod
    def of(cls, interval: int, runs: list[tuple[int, int, int]]) -> History:
        """From runs of ``(steps, total per step, bad per step)``."""
        total = tuple(t for steps, t, _ in runs for _ in range(steps))
        bad = tuple(b for steps, _, b in runs for _ in range(steps))
        return cls(interval, total, bad)

    @property
    def end(self) -> int:
        """Minute of the last sample."""
        return len(self.total) * self.interval

    def _span(self, window: int, t: int) -> tuple[int, int]:
        if t % self.interval or t > self.end:
            raise ValueError(f"t={t} is not a sample time of this history")
        last = t // self.interval
        first = max(0, (t - window) // self.interval + 1)
        return first, last

    def error_ratio(self, window: int, t: int) -> Fraction:
        """What ``slo:sli_error:ratio_rate<window>`` holds at minute ``t`` (0 without traffic)."""
        first, last = self._span(window, t)
        total = sum(self.total[first:last])
        return Fraction(sum(self.bad[first:last]), total) if total > 0 else Fraction(0)

    def requests_per_second(self, window: int, t: int) -> Fraction:
        """``rate(total[window])`` at ``t``, with Prometheus's extrapolation at the start."""
        first, last = self._span(window, t)
        if last - first < 1:
            return Fraction(0)
        sampled = (last - first) * self.interval
        to_start = Fraction(first * self.interval - (t - window))
        if to_start >= Fraction(11, 10) * self.interval:
            to_start = Fraction(self.interval, 2)
        increase = Fraction(sum(self.total[first:last]) * (sampled + to_start), sampled)
        return increase / (window * 60)


def decide(value: Fraction, threshold: Fraction, *, strict: bool = True) -> bool:
    """``value > threshold`` (or ``>=``), refusing to decide within float noise of it."""
    if abs(value - threshold) <= abs(threshold) * MARGIN:
        raise AmbiguousError(f"{float(value)} is too close to the threshold {float(threshold)}")
    return value > threshold if strict else value >= threshold


def fires(slo: SLO, pair: WindowPair, history: History, t: int) -> bool:
    """Whether the alert of ``pair`` is firing at minute ``t`` (both windows, and the guard)."""
    threshold = Fraction(slo.threshold(pair))
    long_hot = decide(history.error_ratio(pair.long, t), threshold)
    if not (long_hot and decide(history.error_ratio(pair.short, t), threshold)):
        return False
    guard = slo.min_requests_per_second
    if guard is None:
        return True
    return decide(history.requests_per_second(pair.long, t), Fraction(guard), strict=False)


def firing(slo: SLO, history: History, t: int) -> list[tuple[str, WindowPair]]:
    """Every pair of ``slo`` firing at minute ``t``, in spec order."""
    return [(severity, pair) for severity, pair in slo.pairs if fires(slo, pair, history, t)]


def budget_remaining(slo: SLO, history: History, t: int) -> Fraction:
    """``slo:error_budget_remaining:ratio`` at minute ``t``."""
    return 1 - history.error_ratio(slo.period, t) / Fraction(slo.budget)


def detection_minutes(slo: SLO, pair: WindowPair, error_ratio: Fraction) -> Fraction:
    """Theory: minutes from a step to ``error_ratio`` (clean history) until ``pair`` fires.

    The long window's ratio grows linearly, ``error_ratio * elapsed / long``, and fires once it
    passes the threshold; the short window, being shorter, has passed it by then.
    """
    return Fraction(slo.threshold(pair)) * pair.long / error_ratio
