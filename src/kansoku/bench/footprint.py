"""``bench footprint``: resident memory (and CPU) of every component, idle and under load.

The stack runs with the shop services. Idle is measured after a settling pause; under load
means the capacity load generator at its target rates through the collector plus page views
on shop-frontend (which calls shop-backend), both from their own processes.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from kansoku import conventions as cv
from kansoku.bench.harness import CORE, bench_stack
from kansoku.bench.httpload import HttpLoadConfig, HttpLoadProcess
from kansoku.bench.measure import ProcessSampler
from kansoku.bench.otlpload import LoadConfig, LoadProcess
from kansoku.bench.report import Row, ScenarioResult
from kansoku.stack.supervisor import Report

TARGET_CORE_IDLE_MIB = 350.0  # collector, Prometheus, Jaeger and VictoriaLogs
COMPONENTS = (*CORE, cv.SHOP_BACKEND, cv.SHOP_FRONTEND)


@dataclass(frozen=True)
class FootprintOptions:
    duration: float = 30.0
    settle: float = 10.0
    spans_per_second: float = 10_000
    points_per_second: float = 10_000
    logs_per_second: float = 10_000
    page_views_per_second: float = 20.0


def run(options: FootprintOptions, report: Report) -> ScenarioResult:
    out = ScenarioResult("footprint")
    with bench_stack(services=True, report=report) as stack:
        pids = stack.pids(COMPONENTS)
        report(f"idle: settling {options.settle:.0f}s, then sampling {options.settle:.0f}s")
        time.sleep(options.settle)
        with ProcessSampler(pids) as idle:
            time.sleep(options.settle)
        report(f"load: OTLP at target rates and page views for {options.duration:.0f}s")
        otlp = LoadProcess(
            LoadConfig(
                endpoint=stack.otlp_http,
                service=f"kansoku-bench-{uuid.uuid4().hex[:8]}",
                duration=options.duration,
                spans_per_second=options.spans_per_second,
                points_per_second=options.points_per_second,
                logs_per_second=options.logs_per_second,
            )
        )
        pages = HttpLoadProcess(
            HttpLoadConfig(
                stack.url("shop-frontend") + "/",
                options.duration,
                options.page_views_per_second,
                connections=4,
            )
        )
        with ProcessSampler(pids) as loaded:
            load = otlp.result()
            views = pages.result()
    core_idle = sum(idle.usage[c].rss_max_mib for c in CORE)
    out.add(Row("core stack RSS idle", core_idle, "MiB", TARGET_CORE_IDLE_MIB))
    out.add(Row("core stack RSS under load", sum(loaded.usage[c].rss_max_mib for c in CORE), "MiB"))
    for name in COMPONENTS:
        out.add(
            Row(f"{name} RSS idle", idle.usage[name].rss_max_mib, "MiB"),
            Row(f"{name} RSS under load (max)", loaded.usage[name].rss_max_mib, "MiB"),
            Row(f"{name} CPU under load", loaded.usage[name].cores, "cores"),
        )
    out.details["load"] = {
        "spans_per_second": load.spans.sent / (load.seconds or 1),
        "points_per_second": load.points.sent / (load.seconds or 1),
        "logs_per_second": load.logs.sent / (load.seconds or 1),
        "page_views_per_second": views.rate,
        "page_view_p99_ms": views.p99_ms,
        "page_view_statuses": views.statuses,
    }
    return out
