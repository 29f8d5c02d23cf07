"""Pipeline stage 2: the SLI as PromQL, over the series the shop services really produce.

Bad and total events per second over a window, and the error ratio built from them. The
error ratio is a ratio of sums (``sum(rate(bad)) / sum(rate(total))``), so every request
weighs the same whatever its route or the hour it came in.

Zero traffic: when no request was counted in a window the error ratio is defined as ``0``
(nothing was served, so nothing was served badly), never ``NaN``. See ``docs/slo.md``.
"""

from __future__ import annotations

from decimal import Decimal

from kansoku import conventions
from kansoku.slo.spec import SLO, Matcher, decimal_literal, format_duration


def le_regex(bound: Decimal) -> str:
    """A regex for a bucket bound's ``le`` value however it was written.

    Prometheus 3 writes integer bounds as ``1.0`` where older writers said ``1``; trailing
    zeros are allowed either way: ``0.2`` -> ``0[.]20*``, ``1`` -> ``1([.]0*)?``.
    """
    whole, _, fraction = decimal_literal(bound).partition(".")
    return f"{whole}[.]{fraction}0*" if fraction else f"{whole}([.]0*)?"


def selector(name: str, matchers: tuple[Matcher, ...]) -> str:
    """``name{a="b", ...}``."""
    return f"{name}{{{', '.join(m.render() for m in matchers)}}}"


def _base(slo: SLO) -> tuple[Matcher, ...]:
    return (Matcher(conventions.LABEL_SERVICE, "=", slo.service), *slo.sli.filters)


def _rate(name: str, matchers: tuple[Matcher, ...], window: int) -> str:
    return f"sum(rate({selector(name, matchers)}[{format_duration(window)}]))"


def total_rate(slo: SLO, window: int) -> str:
    """All events per second over ``window``."""
    metric = slo.sli.metric.prometheus_name
    name = metric if slo.sli.type == "availability" else f"{metric}_count"
    return _rate(name, _base(slo), window)


def bucket_rate(slo: SLO, bound: Decimal, window: int) -> str:
    """Events per second no slower than ``bound`` seconds."""
    le = Matcher("le", "=~", le_regex(bound))
    return _rate(f"{slo.sli.metric.prometheus_name}_bucket", (*_base(slo), le), window)


def bad_rate(slo: SLO, window: int) -> str:
    """Bad events per second over ``window``.

    Availability: the error matchers (a service that never failed has no error series, which
    counts as zero), or total minus the good matchers. Latency: total minus those within the
    threshold. Apdex: total minus
    (satisfied + tolerating / 2), i.e. ``total - (le T + le 4T) / 2``.
    """
    sli = slo.sli
    if sli.type == "availability" and sli.good:
        good = _rate(sli.metric.prometheus_name, (*_base(slo), *sli.good), window)
        return f"({total_rate(slo, window)} - ({good} or vector(0)))"
    if sli.type == "availability":
        errors = _rate(sli.metric.prometheus_name, (*_base(slo), *sli.errors), window)
        return f"({errors} or vector(0))"
    assert sli.threshold is not None  # noqa: S101 - validate() guarantees it
    total = total_rate(slo, window)
    if sli.type == "latency":
        return f"({total} - {bucket_rate(slo, sli.threshold, window)})"
    satisfied = bucket_rate(slo, sli.threshold, window)
    tolerating = bucket_rate(slo, sli.threshold * 4, window)
    return f"({total} - ({satisfied} + {tolerating}) / 2)"


def error_ratio(slo: SLO, window: int) -> str:
    """Bad / total over ``window``; ``0`` when there was no traffic (never NaN).

    Only a non-positive total yields the ``0``: a histogram whose threshold bucket is missing
    leaves the ratio absent rather than pretending to be perfect.
    """
    total = total_rate(slo, window)
    return (
        f"(\n  {bad_rate(slo, window)}\n/\n  ({total} > 0)\n)\nor\n(vector(0) unless ({total} > 0))"
    )
