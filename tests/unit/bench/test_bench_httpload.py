"""The lean HTTP client: request bytes, response parsing, and counting against a server."""

from __future__ import annotations

import asyncio

from fake_server import serving

from kansoku.bench.httpload import HttpLoadConfig, prepared_request, read_response, run


def test_prepared_request_is_a_keep_alive_get_with_query() -> None:
    cfg = HttpLoadConfig("http://127.0.0.1:8081/api/products/1?x=1", 1.0, headers={"A": "b"})
    host, port, raw = prepared_request(cfg)
    assert (host, port) == ("127.0.0.1", 8081)
    assert raw.startswith(b"GET /api/products/1?x=1 HTTP/1.1\r\n")
    assert b"Connection: keep-alive\r\n" in raw
    assert b"A: b\r\n" in raw
    assert raw.endswith(b"\r\n\r\n")


def test_read_response_consumes_exactly_one_response() -> None:
    async def parse() -> tuple[int, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabcNEXT")
        reader.feed_eof()
        status = await read_response(reader)
        return status, await reader.read()

    assert asyncio.run(parse()) == (404, b"NEXT")


def test_fixed_rate_run_counts_every_answer() -> None:
    with serving({"/ok": 200}) as (url, rec):
        result = asyncio.run(run(HttpLoadConfig(url + "/ok", 1.0, rate=40, connections=2)))
    assert result.requests == len(rec.bodies["/ok"])
    assert result.statuses == {"200": result.requests}
    assert result.errors == 0
    assert 0 < result.requests <= 41
    assert result.p50_ms <= result.p99_ms <= result.max_ms
