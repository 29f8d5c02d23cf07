"""OpenSLO v1 import: the subset that maps, and a named error for everything else."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kansoku.errors import ConfigError
from kansoku.slo import loader, validate

TOTAL_QUERY = 'http_server_requests_total{job="shop-backend"}'
RATIO = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: availability}
spec:
  service: shop-backend
  description: API availability
  budgetingMethod: Occurrences
  timeWindow: [{duration: 28d, isRolling: true}]
  objectives: [{target: 0.999}]
  indicator:
    metadata: {name: errors}
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: 'http_server_requests_total{job="shop-backend",
                http_response_status_code=~"5.."}'
        total:
          metricSource:
            type: Prometheus
            spec: {query: 'http_server_requests_total{job="shop-backend"}'}
"""

THRESHOLD = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: latency}
spec:
  service: shop-frontend
  budgetingMethod: Occurrences
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives: [{target: 0.95, op: lte, value: 0.2}]
  indicator:
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec: {query: 'http_client_duration_seconds_bucket{job="shop-frontend"}'}
"""


def test_ratio_metric_becomes_an_availability_slo(write_spec) -> None:  # type: ignore[no-untyped-def]
    (slo,) = validate.validate(loader.load_file(write_spec(RATIO)))
    assert (slo.id, slo.objective, slo.period) == (
        "shop-backend-availability",
        Decimal("99.9"),
        28 * 24 * 60,
    )
    assert [m.render() for m in slo.sli.errors] == ['http_response_status_code=~"5.."']
    assert slo.sli.filters == ()


def test_threshold_metric_becomes_a_latency_slo(write_spec) -> None:  # type: ignore[no-untyped-def]
    (slo,) = validate.validate(loader.load_file(write_spec(THRESHOLD)))
    assert slo.sli.type == "latency"
    assert slo.sli.threshold == Decimal("0.2")
    assert slo.sli.metric.otel_name == "http.client.duration"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("budgetingMethod: Occurrences", "budgetingMethod: Timeslices"), "spec.budgetingMethod"),
        (("  indicator:\n", "  alertPolicies: []\n  indicator:\n"), "spec.alertPolicies"),
        (("isRolling: true", "isRolling: false"), "spec.timeWindow[0].isRolling"),
        (
            (
                "type: Prometheus\n            spec: {query: '" + TOTAL_QUERY + "'}",
                "type: Datadog\n            spec: {query: 'x'}",
            ),
            "spec.indicator.spec.ratioMetric.total.metricSource.type",
        ),
        (("counter: true", "counter: false"), "spec.indicator.spec.ratioMetric.counter"),
    ],
)
def test_unsupported_fields_are_named(write_spec, change: tuple[str, str], field: str) -> None:  # type: ignore[no-untyped-def]
    text = RATIO.replace(*change)
    assert text != RATIO
    with pytest.raises(ConfigError) as caught:
        loader.load_file(write_spec(text))
    assert caught.value.field == field
