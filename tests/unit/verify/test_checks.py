"""Parsing the collector's counters, and the poll helper's reporting."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kansoku.verify import checks
from kansoku.verify.poll import PollTimeoutError, poll_until

METRICS = """\
# HELP otelcol_receiver_accepted_spans Number of spans accepted.
# TYPE otelcol_receiver_accepted_spans counter
otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"} 4
otelcol_receiver_accepted_spans{receiver="otlp",transport="http"} 1
otelcol_receiver_accepted_metric_points{receiver="otlp",transport="grpc"} 2
otelcol_receiver_accepted_log_records{receiver="otlp",transport="grpc"} 1
otelcol_receiver_refused_spans{receiver="otlp",transport="grpc"} {refused}
otelcol_exporter_send_failed_spans{exporter="otlp_grpc/jaeger"} 0
"""


@pytest.fixture
def metrics_server() -> Iterator[tuple[str, dict[str, str]]]:
    body = {"text": METRICS.replace("{refused}", "0")}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = body["text"].encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/metrics", body
    server.shutdown()
    server.server_close()


def test_scrape_totals_sums_label_sets(metrics_server: tuple[str, dict[str, str]]) -> None:
    url, _ = metrics_server
    totals = checks.scrape_totals(url)
    assert totals["otelcol_receiver_accepted_spans"] == 5.0
    assert "# HELP" not in " ".join(totals)


def test_collector_counters_pass_and_fail(metrics_server: tuple[str, dict[str, str]]) -> None:
    url, body = metrics_server
    assert checks.collector_counters(url).startswith("spans: 5 accepted")
    body["text"] = METRICS.replace("{refused}", "3")
    with pytest.raises(RuntimeError, match="3 spans refused"):
        checks.collector_counters(url)


def test_poll_until_reports_what_it_waited_for_and_the_last_error() -> None:
    def failing() -> None:
        raise ValueError("still 503")

    with pytest.raises(PollTimeoutError) as info:
        poll_until(failing, what="the thing", timeout=0.3, interval=0.1)
    assert "waiting for the thing" in str(info.value)
    assert "ValueError: still 503" in str(info.value)


def test_poll_until_returns_the_first_result() -> None:
    calls = iter([None, None, 7])
    assert poll_until(lambda: next(calls), what="x", timeout=5, interval=0.01) == 7
