"""Small PromQL builders shared by the dashboards, so every panel spells selectors, rates,
ratios and quantiles the same way.

Grafana fills ``$__rate_interval`` (at least four scrape intervals) and ``$__range`` (the
dashboard's time range); the dashboards' own variables appear as ``$name``.
"""

from __future__ import annotations

from collections.abc import Sequence

RATE = "$__rate_interval"
RANGE = "$__range"


def sel(metric: str, *matchers: str) -> str:
    """``metric{m1, m2}``; empty matchers are left out."""
    inner = ", ".join(m for m in matchers if m)
    return f"{metric}{{{inner}}}" if inner else metric


def rate(metric: str, *matchers: str, window: str = RATE) -> str:
    return f"rate({sel(metric, *matchers)}[{window}])"


def by(labels: Sequence[str]) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def sum_rate(metric: str, *matchers: str, labels: Sequence[str] = (), window: str = RATE) -> str:
    """``sum by (labels) (rate(metric{matchers}[window]))``."""
    return f"sum{by(labels)} ({rate(metric, *matchers, window=window)})"


def ratio_or_zero(
    metric: str, bad: str, *matchers: str, labels: Sequence[str] = (), window: str = RATE
) -> str:
    """Share of ``metric`` matching ``bad``; 0 (not "no data") where nothing is bad yet."""
    total = sum_rate(metric, *matchers, labels=labels, window=window)
    errors = sum_rate(metric, *matchers, bad, labels=labels, window=window)
    return f"({errors} or {total} * 0) / {total}"


def quantile(
    q: float, bucket: str, *matchers: str, labels: Sequence[str] = (), window: str = RATE
) -> str:
    """``histogram_quantile`` over ``bucket`` (a ``..._bucket`` series), grouped by ``labels``."""
    grouped = sum_rate(bucket, *matchers, labels=[*labels, "le"], window=window)
    return f"histogram_quantile({q}, {grouped})"


def or_zero(expr: str) -> str:
    """``expr``, or a single 0 while it has no series (counters created on first failure)."""
    return f"{expr} or on() vector(0)"
