"""The LogsQL client and the log check, against a fake VictoriaLogs that speaks its HTTP API.

The fake answers ``POST /select/logsql/query`` as VictoriaLogs does: a form body with
``query`` (and ``limit``), JSON lines out, a 400 with a plain-text reason for a bad query.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from kansoku import conventions as cv
from kansoku.verify import checks, logsql, probes

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


@dataclass
class FakeVictoriaLogs:
    url: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    asked: list[dict[str, str]] = field(default_factory=list)


def _matches(entry: dict[str, Any], query: str) -> bool:
    """Only what the client sends: ``"field":="value"`` filters, optionally piped to stats."""
    name, value = query.split(" | ", maxsplit=1)[0].split(":=", 1)
    return bool(entry.get(json.loads(name)) == json.loads(value))


@pytest.fixture
def victorialogs() -> Iterator[FakeVictoriaLogs]:
    fake = FakeVictoriaLogs("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            form = dict(urllib.parse.parse_qsl(body))
            fake.asked.append(form)
            if self.path != cv.VICTORIALOGS_QUERY_PATH or ":=" not in form["query"]:
                self._answer(400, "cannot parse query: unexpected token")
                return
            found = [e for e in fake.entries if _matches(e, form["query"])]
            if "| stats count() as n" in form["query"]:
                found = [{"n": str(len(found))}]
            self._answer(200, "".join(json.dumps(e) + "\n" for e in found))

        def _answer(self, code: int, text: str) -> None:
            data = text.encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def test_quoting_survives_quotes_and_backslashes() -> None:
    assert logsql.field_equals("exception.type", 'a"b\\c') == '"exception.type":="a\\"b\\\\c"'
    assert logsql.by_trace_id(TRACE.upper()) == f'"trace_id":="{TRACE}"'


def test_query_returns_the_entries_and_sends_the_limit(victorialogs: FakeVictoriaLogs) -> None:
    victorialogs.entries = [{"trace_id": TRACE, "_msg": "a"}, {"trace_id": "ff" * 16}]
    rows = logsql.query(victorialogs.url, logsql.by_trace_id(TRACE), limit=5)
    assert rows == [{"trace_id": TRACE, "_msg": "a"}]
    assert victorialogs.asked[-1]["limit"] == "5"


def test_count_is_victorialogs_own_count(victorialogs: FakeVictoriaLogs) -> None:
    victorialogs.entries = [{"run": "r1"}] * 3 + [{"run": "r2"}]
    assert logsql.count(victorialogs.url, logsql.field_equals("run", "r1")) == 3


def test_a_refused_query_raises_with_victorialogs_reason(victorialogs: FakeVictoriaLogs) -> None:
    with pytest.raises(RuntimeError, match="refused \\(400\\): cannot parse query"):
        logsql.query(victorialogs.url, "trace_id:(")


def _targets(url: str) -> checks.Targets:
    nowhere = "http://127.0.0.1:1"
    return checks.Targets(nowhere, nowhere, "127.0.0.1:1", victorialogs_url=url)


def test_find_log_finds_the_probe_by_its_trace_id(victorialogs: FakeVictoriaLogs) -> None:
    probe = probes.Probe("v123", TRACE, SPAN)
    victorialogs.entries = [{"trace_id": TRACE, "span_id": SPAN, "_msg": "probe v123"}]
    detail = checks.find_log(_targets(victorialogs.url), probe, timeout=2)
    assert f"log record of trace {TRACE} queryable after" in detail


def test_find_log_rejects_a_record_of_another_span(victorialogs: FakeVictoriaLogs) -> None:
    probe = probes.Probe("v123", TRACE, SPAN)
    victorialogs.entries = [{"trace_id": TRACE, "span_id": "1" * 16, "_msg": "probe v123"}]
    with pytest.raises(RuntimeError, match="span id '1111111111111111', expected 00f067"):
        checks.find_log(_targets(victorialogs.url), probe, timeout=2)


def test_find_log_gives_up_naming_the_trace(victorialogs: FakeVictoriaLogs) -> None:
    probe = probes.Probe("v123", TRACE, SPAN)
    with pytest.raises(checks.PollTimeoutError, match=f"trace id {TRACE} in VictoriaLogs"):
        checks.find_log(_targets(victorialogs.url), probe, timeout=0.5)


def test_find_log_fails_a_record_queryable_only_after_the_goal(
    victorialogs: FakeVictoriaLogs,
) -> None:
    late = time.monotonic() - checks.LOG_VISIBLE_SECONDS - 1  # as if sent six seconds ago
    probe = probes.Probe("v123", TRACE, SPAN, sent_at=late)
    victorialogs.entries = [{"trace_id": TRACE, "span_id": SPAN, "_msg": "probe v123"}]
    with pytest.raises(RuntimeError, match=r"queryable only after 6\.\ds \(goal: 5s\)"):
        checks.find_log(_targets(victorialogs.url), probe, timeout=2)
