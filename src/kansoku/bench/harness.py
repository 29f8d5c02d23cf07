"""A stack of its own for each bench run: free ports, a temporary data dir, the library.

The bench never looks at a user's running stack: every run starts its components with
``kansoku.stack`` (the same ``prepare`` and ``Supervisor`` as ``kansoku up``) on ports it
found free, under a data dir it removes afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from kansoku import conventions as cv
from kansoku.bench.measure import MetricsText
from kansoku.stack import components, local
from kansoku.stack import state as st
from kansoku.stack.ports import free_ports
from kansoku.stack.supervisor import Report, Supervisor

CORE = (cv.COLLECTOR, cv.PROMETHEUS, cv.JAEGER, cv.VICTORIALOGS)


@dataclass
class BenchStack:
    """A running stack the bench started, and the supervisor that runs it."""

    settings: components.StackSettings
    state: st.StackState
    supervisor: Supervisor

    def url(self, key: str) -> str:
        return self.state.url(key)

    def pid(self, name: str) -> int:
        pid = self.state.components[name].pid
        if pid is None:
            raise RuntimeError(f"{name} has no pid (status {self.state.components[name].status})")
        return pid

    def pids(self, names: tuple[str, ...] | None = None) -> dict[str, int]:
        wanted = names or tuple(self.state.components)
        return {n: self.pid(n) for n in wanted if n in self.state.components}

    @property
    def otlp_http(self) -> str:
        return self.url("otlp-http")

    @property
    def otlp_grpc(self) -> str:
        return self.url("otlp-grpc").removeprefix("http://")

    def collector_metrics(self) -> MetricsText:
        return MetricsText.fetch(self.url("collector-metrics") + "/metrics")

    def jaeger_metrics(self) -> MetricsText:
        return MetricsText.fetch(self.url("jaeger-metrics") + "/metrics")


@contextlib.contextmanager
def bench_stack(
    *,
    services: bool = False,
    jaeger_storage: str = "memory",
    extra_env: Mapping[str, str] | None = None,
    report: Report = print,
    data_dir: Path | None = None,
) -> Iterator[BenchStack]:
    """Start a stack (core, or core plus shop services without load), stop it afterwards."""
    owned = data_dir is None
    base = data_dir or Path(tempfile.mkdtemp(prefix="kansoku-bench-"))
    settings = components.StackSettings(
        data_dir=base,
        ports=free_ports(),
        services=services,
        loadgen=False,
        jaeger_storage=jaeger_storage,
        extra_env=dict(extra_env or {}),
    )
    try:
        specs = local.prepare(settings, report=report)
        state = local.new_state(settings)
        supervisor = Supervisor(specs, state, base / "logs", report=report)
        supervisor.start_all()
        try:
            yield BenchStack(settings, state, supervisor)
        finally:
            if state.status not in ("stopped", "failed"):
                supervisor.stop_all()
    finally:
        if owned:
            shutil.rmtree(base, ignore_errors=True)


def with_settings(stack: BenchStack, **changes: object) -> components.StackSettings:
    """The stack's settings with some fields changed (e.g. to build one more component)."""
    return dataclasses.replace(stack.settings, **changes)  # type: ignore[arg-type]
