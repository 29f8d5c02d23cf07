"""Waiting for points by the pipeline's own counters: delay is waited out, loss is reported."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kansoku.verify import pipeline
from kansoku.verify.pipeline import NotStoredError, PipelineCounts

COLLECTOR_TEXT = """\
otelcol_receiver_accepted_metric_points{receiver="otlp",transport="http"} 1000
otelcol_receiver_accepted_metric_points{receiver="host_metrics"} 50
otelcol_processor_outgoing_items{otel_signal="metrics",processor="series_limit"} 700
otelcol_processor_outgoing_items{otel_signal="traces",processor="series_limit"} 99
otelcol_processor_series_limit_dropped_data_points{processor="series_limit",reason="x"} 350
otelcol_exporter_sent_metric_points{exporter="prometheus_remote_write"} 690
otelcol_exporter_prometheusremotewrite_wal_writes{exporter="prometheus_remote_write"} 12
otelcol_exporter_prometheusremotewrite_sent_batches{exporter="prometheus_remote_write"} 11
"""
PROMETHEUS_TEXT = """\
prometheus_http_requests_total{code="204",handler="/api/v1/write"} 11
prometheus_http_requests_total{code="200",handler="/api/v1/query"} 5
prometheus_tsdb_head_samples_appended_total{type="float"} 690
"""


@pytest.fixture
def endpoints() -> Iterator[tuple[str, str]]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (COLLECTOR_TEXT if self.path == "/collector" else PROMETHEUS_TEXT).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield f"{base}/collector", f"{base}/prom"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_reading_sums_each_stage_over_its_own_labels(endpoints: tuple[str, str]) -> None:
    counts = PipelineCounts.read(*endpoints)
    assert not counts.error
    assert counts.get("receiver otlp accepted") == 1000
    assert counts.get("receivers accepted") == 1050
    assert counts.get("processor series_limit outgoing") == 700  # metrics only, not traces
    assert counts.get("series_limit dropped") == 350
    assert counts.get("WAL writes") == 12
    assert counts.get("requests sent") == 11
    assert counts.get("write requests 2xx") == 11
    assert counts.get("samples appended") == 690


def test_an_unreachable_endpoint_is_named_in_the_reading() -> None:
    counts = PipelineCounts.read("http://127.0.0.1:9/metrics", "http://127.0.0.1:9")
    assert "127.0.0.1:9/metrics" in counts.error
    assert counts.values == {}


def _counts(at: float = 0.0, **values: float) -> PipelineCounts:
    names = {
        "took": "processor series_limit outgoing",
        "sent": "exporter sent (to WAL)",
        "wal": "WAL writes",
        "requests": "requests sent",
        "answered": "write requests answered",
    }
    return PipelineCounts(at or time.monotonic(), {names[k]: v for k, v in values.items()})


class Script:
    """Readings and stored counts handed out in turn; the last ones repeat."""

    def __init__(self, readings: list[PipelineCounts], stored: list[float]) -> None:
        self.readings, self.stored = readings, stored
        self.calls = 0

    def read(self) -> PipelineCounts:
        reading = self.readings[min(self.calls, len(self.readings) - 1)]
        self.calls += 1
        return PipelineCounts(max(reading.at, time.monotonic()), dict(reading.values))

    def count(self) -> float:
        return self.stored[min(self.calls - 1, len(self.stored) - 1)]


ACCEPTED = _counts(took=1000, sent=900, wal=40, requests=38)


def test_a_slow_wal_is_waited_out_however_many_readings_it_takes() -> None:
    waiting = [_counts(took=1100 + i, sent=900 + i, wal=40, requests=38) for i in range(30)]
    in_wal = [_counts(took=1200 + i, sent=1100 + i, wal=44, requests=40 + i % 2) for i in range(30)]
    flushed = _counts(took=1300, sent=1300, wal=46, requests=44)
    script = Script([*waiting, *in_wal, flushed], [0] * 60 + [100])
    timeline: list[str] = []
    stored = pipeline.await_stored(
        script.count, 100, read=script.read, accepted=ACCEPTED, interval=0, report=timeline.append
    )
    assert stored == 100
    assert script.calls == 61
    assert "stage 1: exporter has taken all 1,000 points; WAL entries 44" in timeline[0]
    assert "stored 100 of 100" in timeline[0]


def test_points_missing_after_prometheus_answered_them_are_reported_lost() -> None:
    readings = [
        _counts(took=1000, sent=1000, wal=44, requests=40, answered=40),
        _counts(took=1000, sent=1000, wal=45, requests=44, answered=44),
        _counts(took=1000, sent=1000, wal=45, requests=44, answered=44),
        _counts(took=1000, sent=1000, wal=45, requests=45, answered=45),
    ]
    script = Script(readings, [0])
    with pytest.raises(NotStoredError) as err:
        pipeline.await_stored(script.count, 100, read=script.read, accepted=ACCEPTED, interval=0)
    message = str(err.value)
    assert message.startswith("0 of 100 stored after")
    assert "Prometheus had answered the requests carrying them" in message
    assert "stage 1: exporter has taken all 1,000 points; WAL entries 44" in message
    assert "stage 2: 44 requests made; Prometheus answered 44" in message
    assert "stage 3: Prometheus answered 45" in message
    table_row = next(row for row in message.splitlines() if row.strip().startswith("requests"))
    assert table_row.split()[-2:] == ["45", "(+7)"]  # the table: 45 now, 38 then
    assert script.calls == 4  # one stage per reading, the count read after each


def test_a_pipeline_where_nothing_moves_is_reported_after_the_stall() -> None:
    start = time.monotonic()
    readings = [_counts(start + 1, took=1000, sent=900), _counts(start + 500, took=1000, sent=900)]
    script = Script(readings, [0])
    with pytest.raises(NotStoredError, match="no counter moved for 120s"):
        pipeline.await_stored(script.count, 100, read=script.read, accepted=ACCEPTED, interval=0)


def test_the_table_shows_each_stage_now_and_its_change() -> None:
    text = pipeline.table(ACCEPTED, _counts(took=1500, sent=1490, wal=50, requests=50))
    line = next(row for row in text.splitlines() if "exporter sent (to WAL)" in row)
    assert line.split()[-2:] == ["1,490", "(+590)"]
