"""``bench startup``: ``kansoku up`` to ready, and a request's trace to queryable in Jaeger.

``kansoku up --detach`` is run as a user runs it (a fresh data dir and free ports each time,
binaries already cached) and timed from launch until it returns with the stack ready. Then
requests carrying a known ``traceparent`` go to shop-frontend and Jaeger is polled every
50 ms until each trace answers; the time includes the services' batch delay
(``OTEL_BSP_SCHEDULE_DELAY``), the collector's batch timeout and Jaeger's own batching.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from kansoku.bench.report import Row, ScenarioResult
from kansoku.stack import state as st
from kansoku.stack.ports import free_ports
from kansoku.stack.supervisor import Report
from kansoku.verify.checks import jaeger_trace

TARGET_UP_SECONDS = 5.0
TARGET_TRACE_SECONDS = 5.0
_POLL = 0.05


@dataclass(frozen=True)
class StartupOptions:
    rounds: int = 3
    requests: int = 10
    trace_timeout: float = 30.0


def _kansoku(*args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kansoku", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ},
    )


def _up(data_dir: Path, *flags: str) -> float:
    ports = [f"--port={k}={v}" for k, v in free_ports().items()]
    started = time.monotonic()
    proc = _kansoku("up", "--detach", "--data-dir", str(data_dir), *ports, *flags)
    took = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"kansoku up failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return took


def _down(data_dir: Path) -> None:
    _kansoku("down", "--data-dir", str(data_dir), timeout=120.0)


def trace_delay(frontend_url: str, jaeger_url: str, timeout: float) -> float:
    """Seconds from one request's answer to its trace answering in Jaeger."""
    trace_id = os.urandom(16).hex()
    header = f"00-{trace_id}-{os.urandom(8).hex()}-01"
    resp = httpx.get(frontend_url + "/", headers={"traceparent": header}, timeout=10.0)
    answered = time.monotonic()
    resp.raise_for_status()
    deadline = answered + timeout
    while time.monotonic() < deadline:
        if jaeger_trace(jaeger_url, trace_id) is not None:
            return time.monotonic() - answered
        time.sleep(_POLL)
    raise RuntimeError(f"trace {trace_id} was not in Jaeger after {timeout:.0f}s")


def _rounds(
    label: str, flags: tuple[str, ...], options: StartupOptions, report: Report
) -> list[float]:
    times = []
    for i in range(options.rounds):
        data_dir = Path(tempfile.mkdtemp(prefix="kansoku-bench-up-"))
        try:
            took = _up(data_dir, *flags)
            times.append(took)
            report(f"  {label} round {i + 1}: ready in {took:.2f}s")
        finally:
            _down(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)
    return times


def _trace_delays(options: StartupOptions, report: Report) -> list[float]:
    data_dir = Path(tempfile.mkdtemp(prefix="kansoku-bench-up-"))
    try:
        _up(data_dir, "--no-loadgen")
        state = st.read(data_dir)
        frontend, jaeger = state.url("shop-frontend"), state.url("jaeger-query")
        delays = []
        for _ in range(options.requests):
            delays.append(trace_delay(frontend, jaeger, options.trace_timeout))
            report(f"  trace queryable after {delays[-1]:.2f}s")
        return delays
    finally:
        _down(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def run(options: StartupOptions, report: Report) -> ScenarioResult:
    out = ScenarioResult("startup")
    report(f"kansoku up --no-services, {options.rounds} rounds")
    core = _rounds("core", ("--no-services",), options, report)
    report(f"kansoku up (with shop services), {options.rounds} rounds")
    full = _rounds("full", ("--no-loadgen",), options, report)
    report(f"trace delay: {options.requests} requests through shop-frontend")
    delays = _trace_delays(options, report)
    out.add(
        Row("up to ready, core (median)", statistics.median(core), "s", TARGET_UP_SECONDS),
        Row("up to ready, with services (median)", statistics.median(full), "s", TARGET_UP_SECONDS),
        Row("up to ready, with services (max)", max(full), "s"),
        Row(
            "request to trace in Jaeger (median)",
            statistics.median(delays),
            "s",
            TARGET_TRACE_SECONDS,
        ),
        Row("request to trace in Jaeger (max)", max(delays), "s", TARGET_TRACE_SECONDS),
    )
    out.details = {"core_up_seconds": core, "full_up_seconds": full, "trace_seconds": delays}
    return out
