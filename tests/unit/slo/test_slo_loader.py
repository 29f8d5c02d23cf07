"""The spec format: shape, types and the precise errors of bad specs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import one_slo
from kansoku.errors import ConfigError
from kansoku.slo import loader, validate

AVAILABILITY = "    objective: 99.9\n    sli: {type: availability, metric: http.server.requests}\n"


def _error(write_spec, text: str) -> ConfigError:  # type: ignore[no-untyped-def]
    path = write_spec(text)
    with pytest.raises(ConfigError) as caught:
        validate.validate(loader.load_file(path))
    return caught.value


def test_defaults_give_the_workbook_windows_and_factors(write_spec) -> None:  # type: ignore[no-untyped-def]
    (slo,) = loader.load_file(write_spec(one_slo(AVAILABILITY)))
    assert slo.period == 30 * 24 * 60
    assert slo.budget == Decimal("0.001")
    got = [(sev, p.long, p.short, str(p.factor)) for sev, p in slo.pairs]
    assert got == [
        ("page", 60, 5, "14.4"),
        ("page", 360, 30, "6"),
        ("ticket", 1440, 120, "3"),
        ("ticket", 4320, 360, "1"),
    ]
    assert [str(slo.threshold(p)) for _, p in slo.pairs] == ["0.0144", "0.006", "0.003", "0.001"]


def test_factors_scale_with_the_period(write_spec) -> None:  # type: ignore[no-untyped-def]
    (slo,) = loader.load_file(write_spec(one_slo(AVAILABILITY + "    period: 28d\n")))
    assert [str(p.factor) for _, p in slo.pairs] == ["13.44", "5.6", "2.8", "0.9333"]


def test_objective_of_100_is_rejected_with_file_and_field(write_spec) -> None:  # type: ignore[no-untyped-def]
    error = _error(write_spec, one_slo(AVAILABILITY.replace("99.9", "100")))
    assert error.file.endswith("spec.yaml")
    assert error.field == "slos[0].objective"
    assert "below 100" in error.expected


def test_objective_above_100_is_rejected(write_spec) -> None:  # type: ignore[no-untyped-def]
    assert (
        _error(write_spec, one_slo(AVAILABILITY.replace("99.9", "100.5"))).field
        == "slos[0].objective"
    )


def test_unknown_sli_type_names_the_allowed_ones(write_spec) -> None:  # type: ignore[no-untyped-def]
    error = _error(write_spec, one_slo(AVAILABILITY.replace("availability", "throughput")))
    assert error.field == "slos[0].sli.type"
    assert "availability, latency, apdex" in error.expected
    assert "throughput" in error.expected


def test_latency_threshold_must_be_a_bucket_bound(write_spec) -> None:  # type: ignore[no-untyped-def]
    body = (
        "    objective: 95\n    sli: {type: latency, metric: http.server.duration, "
        "threshold: 0.3}\n"
    )
    error = _error(write_spec, one_slo(body))
    assert error.field == "slos[0].sli.threshold"
    assert "0.3 is not one" in error.expected
    assert "0.2" in error.expected


def test_apdex_needs_4t_to_be_a_bucket_bound_too(write_spec) -> None:  # type: ignore[no-untyped-def]
    body = (
        "    objective: 90\n    sli: {type: apdex, metric: http.server.duration, "
        "threshold: 0.01}\n    alerting: {page: {disabled: true}}\n"
    )
    error = _error(write_spec, one_slo(body))
    assert error.field == "slos[0].sli.threshold (x4 for Apdex's 4T)"
    assert "0.04 is not one" in error.expected


def test_duplicate_names_are_rejected_across_files(write_spec) -> None:  # type: ignore[no-untyped-def]
    first = loader.load_file(write_spec(one_slo(AVAILABILITY), "a.yaml"))
    second = loader.load_file(write_spec(one_slo(AVAILABILITY), "b.yaml"))
    with pytest.raises(ConfigError) as caught:
        validate.validate([*first, *second])
    assert caught.value.file.endswith("b.yaml")
    assert caught.value.field == "slos[0].name"
    assert "a.yaml slos[0]" in caught.value.expected


def test_unknown_field_is_named(write_spec) -> None:  # type: ignore[no-untyped-def]
    error = _error(write_spec, one_slo(AVAILABILITY + "    objectve: 99\n"))
    assert error.field == "slos[0].objectve"


def test_unreachable_alert_threshold_is_rejected(write_spec) -> None:  # type: ignore[no-untyped-def]
    error = _error(write_spec, one_slo(AVAILABILITY.replace("99.9", "90")))
    assert error.field == "slos[0].alerting.page.windows"
    assert "14.4 x 0.1 = 1.44" in error.expected


def test_metric_of_another_service_is_rejected(write_spec) -> None:  # type: ignore[no-untyped-def]
    error = _error(write_spec, one_slo(AVAILABILITY, service="shop-frontend"))
    assert error.field == "slos[0].sli.metric"
    assert "comes from shop-backend" in error.expected


def test_unknown_metric_lists_the_known_ones(write_spec) -> None:  # type: ignore[no-untyped-def]
    error = _error(
        write_spec, one_slo(AVAILABILITY.replace("http.server.requests", "http_requests_total"))
    )
    assert "http.server.requests" in error.expected
    assert error.field == "slos[0].sli.metric"


def test_window_pair_needs_exactly_one_of_factor_and_share(write_spec) -> None:  # type: ignore[no-untyped-def]
    body = AVAILABILITY + "    alerting: {page: {windows: [{long: 1h, short: 5m}]}}\n"
    assert _error(write_spec, one_slo(body)).field == "slos[0].alerting.page.windows[0]"


def test_malformed_yaml_names_the_file(write_spec) -> None:  # type: ignore[no-untyped-def]
    error = _error(write_spec, "service: [\n")
    assert error.field == "(file)"
    assert "valid YAML" in error.expected
