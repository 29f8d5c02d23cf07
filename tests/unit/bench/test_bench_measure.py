"""Metrics-text parsing with labels, percentiles, and process sampling."""

from __future__ import annotations

import os

from kansoku.bench.measure import MetricsText, ProcessSampler, percentile

TEXT = """\
# HELP otelcol_exporter_sent_spans_total Spans sent.
# TYPE otelcol_exporter_sent_spans_total counter
otelcol_exporter_sent_spans_total{exporter="otlp_grpc/jaeger",service_name="x"} 1200
otelcol_exporter_sent_spans_total{exporter="spanmetrics"} 1e3
otelcol_receiver_accepted_spans_total{receiver="otlp",transport="http"} 50
otelcol_process_uptime 12.5
"""


def test_total_sums_only_the_label_sets_asked_for() -> None:
    text = MetricsText(TEXT)
    assert text.total("otelcol_exporter_sent_spans_total") == 2200
    assert text.total("otelcol_exporter_sent_spans_total", exporter="otlp_grpc/jaeger") == 1200
    assert text.total("otelcol_exporter_sent_spans_total", exporter="nope") == 0
    assert text.total("otelcol_process_uptime") == 12.5


def test_label_values_may_hold_escaped_quotes_and_commas() -> None:
    text = MetricsText('m{a="x\\"y,z",b="2"} 3\n')
    assert text.samples[0].labels == {"a": 'x\\"y,z', "b": "2"}
    assert text.total("m", b="2") == 3


def test_percentile_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([], 0.5) == 0


def test_sampler_reads_memory_of_a_live_process() -> None:
    with ProcessSampler({"me": os.getpid()}, interval=0.05) as sampler:
        sum(range(200_000))
    usage = sampler.usage["me"]
    assert usage.rss_samples
    assert usage.rss_max_mib > 1
    # The interpreter's own heap is anonymous memory; the rest of RSS is file-backed.
    assert 0 < usage.anon_max_mib < usage.rss_max_mib
    assert not usage.gone
