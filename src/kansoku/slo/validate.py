"""Pipeline stage 1: check what a spec means, not only its shape.

Every check fails with :class:`~kansoku.errors.ConfigError` naming the spec file, the field
(``slos[1].sli.threshold``) and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from kansoku import conventions
from kansoku.errors import ConfigError
from kansoku.slo.spec import MINUTES_PER_DAY, PERIODS_DAYS, SLO, Matcher, format_duration

_INSTRUMENT = {"availability": "counter", "latency": "histogram", "apdex": "histogram"}


def validate(slos: Sequence[SLO]) -> list[SLO]:
    """All of ``slos``, unchanged, once each passes every check; the first failure raises."""
    seen: dict[str, SLO] = {}
    for slo in slos:
        _check_objective(slo)
        _check_sli(slo)
        _check_alerting(slo)
        _check_team(slo)
        first = seen.get(slo.id)
        if first is not None:
            raise ConfigError(
                slo.source,
                f"{slo.where}.name",
                f"a name unique within service {slo.service}; {slo.name!r} is "
                f"already used by {first.source} {first.where}",
            )
        seen[slo.id] = slo
    return list(slos)


_TEAM = re.compile(r"[a-z][a-z0-9-]{0,62}")


def _check_team(slo: SLO) -> None:
    """Alertmanager routes on ``team`` (a receiver per team), so it must be a plain name."""
    team = dict(slo.labels).get(conventions.LABEL_TEAM)
    if team is not None and not _TEAM.fullmatch(team):
        raise ConfigError(
            slo.source,
            f"{slo.where}.labels.{conventions.LABEL_TEAM}",
            f"a team name (lowercase letters, digits, '-'; a letter first), not {team!r}",
        )


def bucket_bounds(metric: conventions.Metric) -> tuple[Decimal, ...]:
    """The histogram's bucket bounds as exact decimals."""
    del metric  # every duration histogram shares one layout today
    return tuple(Decimal(str(b)) for b in conventions.DURATION_BUCKETS_SECONDS)


def example_value(matcher: Matcher) -> str | None:
    """A label value that satisfies ``matcher`` (the rule tests need one), if one is easy."""
    if matcher.op == "=":
        return matcher.value
    candidates = ["200", "500", "kansoku-test"]
    if matcher.op == "=~":
        first = matcher.value.split("|")[0]
        plain = re.sub(r"\[(.)[^]]*\]", r"\1", first)
        candidates = [plain.replace(".", "0"), first, first.replace(".", "0")]
    for candidate in candidates:
        matches = re.fullmatch(matcher.value, candidate) is not None
        if matches == (matcher.op in ("=", "=~")):
            return candidate
    return None


def negate(matcher: Matcher) -> Matcher:
    """The matcher selecting what ``matcher`` does not (``=~`` <-> ``!~``, ``=`` <-> ``!=``)."""
    flipped = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}[matcher.op]
    return Matcher(matcher.label, flipped, matcher.value)


def _fail(slo: SLO, field: str, expected: str) -> ConfigError:
    return ConfigError(slo.source, f"{slo.where}.{field}", expected)


def _check_objective(slo: SLO) -> None:
    if not 0 < slo.objective < 100:
        raise _fail(
            slo,
            "objective",
            f"a percentage above 0 and below 100 such as 99.9, not "
            f"{slo.objective} (100 would leave no error budget)",
        )
    if slo.period % MINUTES_PER_DAY or slo.period // MINUTES_PER_DAY not in PERIODS_DAYS:
        allowed = ", ".join(f"{d}d" for d in PERIODS_DAYS)
        raise _fail(slo, "period", f"one of {allowed}, not {format_duration(slo.period)}")


def _check_sli(slo: SLO) -> None:
    sli = slo.sli
    if sli.metric.service != slo.service:
        raise _fail(
            slo,
            "sli.metric",
            f"a metric that {slo.service} emits; "
            f"{sli.metric.otel_name} comes from {sli.metric.service}",
        )
    want = _INSTRUMENT[sli.type]
    if sli.metric.instrument != want:
        raise _fail(
            slo,
            "sli.metric",
            f"a {want} for a {sli.type} SLI; {sli.metric.otel_name} is a {sli.metric.instrument}",
        )
    if sli.type == "availability":
        if sli.threshold is not None:
            raise _fail(slo, "sli.threshold", "no threshold: an availability SLI counts errors")
        if sli.errors and sli.good:
            raise _fail(slo, "sli.good", "either errors or good matchers, not both")
    else:
        _check_thresholds(slo)
    named = [
        (f"sli.{kind}[{i}]", m)
        for kind, group in (("filters", sli.filters), ("errors", sli.errors), ("good", sli.good))
        for i, m in enumerate(group)
    ]
    for field, matcher in named:
        if matcher.label in ("le", "__name__"):
            raise _fail(slo, field, f"a matcher on an attribute label, not on {matcher.label}")
        if example_value(matcher) is None or example_value(negate(matcher)) is None:
            raise _fail(
                slo,
                field,
                "a matcher kansoku can derive a sample value from for the "
                "rule tests (a plain value, or a regex such as 5.. or 500|503)",
            )


def _check_thresholds(slo: SLO) -> None:
    sli = slo.sli
    if sli.errors or sli.good:
        field = "sli.errors" if sli.errors else "sli.good"
        raise _fail(
            slo,
            field,
            f"no error or good matchers: a {sli.type} SLI counts slow "
            "requests as bad events (use filters to narrow the requests)",
        )
    if sli.threshold is None:
        what = "T in seconds" if sli.type == "apdex" else "the latency threshold in seconds"
        raise _fail(slo, "sli.threshold", f"{what} (a bucket bound of {sli.metric.otel_name})")
    bounds = bucket_bounds(sli.metric)
    listed = ", ".join(str(b) for b in bounds)
    needed = [("sli.threshold", sli.threshold)]
    if sli.type == "apdex":
        needed.append(("sli.threshold (x4 for Apdex's 4T)", sli.threshold * 4))
    for field, value in needed:
        if value not in bounds:
            raise _fail(
                slo,
                field,
                f"a bucket bound of {sli.metric.otel_name} ({listed}); "
                f"{value} is not one, so the share below it cannot be counted",
            )


def _check_alerting(slo: SLO) -> None:
    guard = slo.min_requests_per_second
    if guard is not None and guard <= 0:
        raise _fail(slo, "alerting.min_requests_per_second", f"a positive rate, not {guard}")
    for severity, pair in slo.pairs:
        field = f"alerting.{severity}.windows"
        if not pair.short < pair.long <= slo.period:
            raise _fail(
                slo,
                field,
                f"a short window below its long window and a long window "
                f"within the period; got {format_duration(pair.short)} and "
                f"{format_duration(pair.long)}",
            )
        threshold = slo.threshold(pair)
        if threshold >= 1:
            raise _fail(
                slo,
                field,
                f"factor x budget below 1; {pair.factor} x {slo.budget} = "
                f"{threshold} is an error ratio that can never be reached, so the alert "
                f"would never fire: lower the factor, disable the {severity} tier or "
                "raise the objective",
            )
