"""Counting a run's spans in Jaeger: one query per operation, every span kept with its ids."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from kansoku.bench import payloads, stored


def test_span_keys_are_gathered_one_operation_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[dict[str, str]] = []
    traces = {
        payloads.ROOT_SPAN_NAMES[0]: [{"spans": [{"traceID": "a", "spanID": "1"}]}],
        payloads.ROOT_SPAN_NAMES[1]: [
            {"spans": [{"traceID": "b", "spanID": "1"}, {"traceID": "b", "spanID": "2"}]},
            {"spans": [{"traceID": "b", "spanID": "1"}]},  # a copy stored twice
        ],
    }

    def get(url: str, params: dict[str, str], timeout: float) -> httpx.Response:
        asked.append(params)
        data: list[Any] = traces.get(params["operation"], [])
        return httpx.Response(200, json={"data": data}, request=httpx.Request("GET", url))

    monkeypatch.setattr(stored.httpx, "get", get)
    keys = stored.jaeger_service_span_keys("http://j", "svc", payloads.ROOT_SPAN_NAMES)
    assert sorted(keys) == [("a", "1"), ("b", "1"), ("b", "1"), ("b", "2")]
    assert [p["operation"] for p in asked] == list(payloads.ROOT_SPAN_NAMES)
    assert {p["service"] for p in asked} == {"svc"}


def test_an_unknown_service_has_no_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    def get(url: str, params: dict[str, str], timeout: float) -> httpx.Response:
        return httpx.Response(404, request=httpx.Request("GET", url))

    monkeypatch.setattr(stored.httpx, "get", get)
    assert stored.jaeger_service_span_keys("http://j", "svc") == []


def test_every_root_span_name_is_in_a_body_of_four_traces() -> None:
    body, _ = payloads.build_traces("svc", 100, 25).next()
    spans = ExportTraceServiceRequest.FromString(body).resource_spans[0].scope_spans[0].spans
    roots = {s.name for s in spans if not s.parent_span_id}
    assert roots == set(payloads.ROOT_SPAN_NAMES)
