"""The SLO spec model: what ``config/slo/*.yaml`` (or an OpenSLO document) becomes.

Numbers that end up in rules are :class:`~decimal.Decimal` so that ``14.4 * 0.001`` is written
as ``0.0144``; durations are whole minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from kansoku import conventions

SLIType = Literal["availability", "latency", "apdex"]
SLI_TYPES: tuple[SLIType, ...] = ("availability", "latency", "apdex")
PERIODS_DAYS: tuple[int, ...] = (7, 28, 30)
MINUTES_PER_DAY = 24 * 60
_DURATION = re.compile(r"^([1-9][0-9]*)([mhd])$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": MINUTES_PER_DAY}


def parse_duration(text: str) -> int | None:
    """``"5m"``/``"6h"``/``"3d"`` in minutes; ``None`` when it is not such a duration."""
    match = _DURATION.match(text)
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_MINUTES[match.group(2)]


def format_duration(minutes: int) -> str:
    """Minutes in the largest exact Prometheus unit: 1440 -> ``1d``, 90 -> ``90m``."""
    for unit, size in (("d", MINUTES_PER_DAY), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def decimal_literal(value: Decimal) -> str:
    """A plain decimal literal: ``0.0144``, ``14.4``, ``100`` (never exponent notation)."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Matcher:
    """One PromQL label matcher, e.g. ``http_response_status_code=~"5.."``."""

    label: str
    op: str  # one of = != =~ !~
    value: str

    def render(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.label}{self.op}"{escaped}"'


@dataclass(frozen=True)
class SLI:
    """How good and bad events are counted.

    ``availability``: bad events are those the ``errors`` matchers select from the counter
    ``metric``, or, with ``good`` matchers instead, every event those do not select.
    ``latency``: bad events are those slower than ``threshold`` seconds (a bucket bound).
    ``apdex``: bad events are ``total - (le T + le 4T) / 2`` with ``threshold`` = T.
    """

    type: SLIType
    metric: conventions.Metric
    filters: tuple[Matcher, ...] = ()
    errors: tuple[Matcher, ...] = ()
    good: tuple[Matcher, ...] = ()
    threshold: Decimal | None = None


@dataclass(frozen=True)
class WindowPair:
    """A multi-window alert condition: both windows must burn faster than ``factor``."""

    long: int  # minutes
    short: int  # minutes
    factor: Decimal


@dataclass(frozen=True)
class Tier:
    """Alerts of one severity (``page`` or ``ticket``)."""

    severity: str
    windows: tuple[WindowPair, ...]


@dataclass(frozen=True)
class SLO:
    """One objective of one service; ``where`` locates it in ``source`` for error messages."""

    service: str
    name: str
    objective: Decimal  # percent, e.g. 99.9
    period: int  # minutes
    sli: SLI
    tiers: tuple[Tier, ...]
    source: str
    where: str
    description: str = ""
    min_requests_per_second: Decimal | None = None
    labels: tuple[tuple[str, str], ...] = ()
    # Where the alerts' links point (absolute, so a pager or chat client can open them).
    runbook_base_url: str = conventions.RUNBOOK_BASE_URL
    dashboard_base_url: str = conventions.DASHBOARD_BASE_URL

    @property
    def id(self) -> str:
        """``<service>-<name>``: the ``slo`` label and the rule file name."""
        return f"{self.service}-{self.name}"

    @property
    def objective_ratio(self) -> Decimal:
        return self.objective / 100

    @property
    def budget(self) -> Decimal:
        """The error budget as a ratio: 0.001 for 99.9%."""
        return 1 - self.objective_ratio

    @property
    def pairs(self) -> tuple[tuple[str, WindowPair], ...]:
        """Every alerting window pair with its severity, in spec order."""
        return tuple((tier.severity, pair) for tier in self.tiers for pair in tier.windows)

    @property
    def windows(self) -> tuple[int, ...]:
        """Every window a rule needs, shortest first, the period last."""
        needed = {w for _, p in self.pairs for w in (p.long, p.short)}
        return (*sorted(needed - {self.period}), self.period)

    @property
    def exhaustion_window(self) -> int:
        """The burn rate that time-to-exhaustion assumes: the first alert's long window."""
        return self.pairs[0][1].long if self.pairs else self.period

    def threshold(self, pair: WindowPair) -> Decimal:
        """The error ratio at which ``pair`` fires: factor x budget, exact."""
        return pair.factor * self.budget


def factor_from_share(share: Decimal, period: int, long: int) -> Decimal:
    """Workbook scaling: burning ``share`` of the budget within ``long`` (4 decimals)."""
    return (share * period / long).quantize(Decimal("0.0001")).normalize()
