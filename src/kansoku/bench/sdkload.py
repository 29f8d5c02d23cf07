"""Spans from the services' own SDK set-up, at a steady rate, in a process of its own.

``python -m kansoku.bench.sdkload '<json SdkLoadConfig>'`` builds telemetry exactly as the
shop services do (``kansoku.services.telemetry.setup``: batch span processor, bounded queue,
OTLP exporter from the standard ``OTEL_*`` variables), creates spans at ``rate`` per second
for ``duration`` seconds, flushes, and prints how many spans it created. Comparing that with
what Jaeger stores measures what the SDK loses when the collector goes away.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass

from kansoku.bench.child import ReportingChild

SPAN_NAME = "bench.sdk.span"
_TICK = 0.02


@dataclass(frozen=True)
class SdkLoadConfig:
    service: str
    endpoint: str  # OTLP/gRPC host:port of the collector
    rate: float = 200.0
    duration: float = 30.0
    flush_seconds: float = 30.0

    def env(self) -> dict[str, str]:
        """The variables the services' set-up reads; only traces are exported."""
        return {
            "OTEL_SERVICE_NAME": self.service,
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{self.endpoint}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_BSP_SCHEDULE_DELAY": "1000",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_SDK_DISABLED": "false",
        }


@dataclass
class SdkLoadResult:
    created: int
    seconds: float
    flushed: bool


def run(config: SdkLoadConfig) -> SdkLoadResult:
    from opentelemetry.sdk.trace import TracerProvider

    from kansoku.services import telemetry

    tel = telemetry.setup(config.service, install_global=False, runtime_metrics=False)
    tracer = tel.tracer
    created = 0
    started = time.monotonic()
    deadline = started + config.duration
    while (now := time.monotonic()) < deadline:
        due = int((now - started) * config.rate)
        while created < due:
            with tracer.start_as_current_span(SPAN_NAME, attributes={"bench.seq": created}):
                pass
            created += 1
        time.sleep(_TICK)
    provider = tel.tracer_provider
    flushed = isinstance(provider, TracerProvider) and provider.force_flush(
        int(config.flush_seconds * 1000)
    )
    tel.shutdown(2.0)
    return SdkLoadResult(created, time.monotonic() - started, flushed)


class SdkLoadProcess(ReportingChild):
    """A running SDK span emitter; ``result()`` waits for its report."""

    def __init__(self, config: SdkLoadConfig) -> None:
        self.config = config
        super().__init__(
            "kansoku.bench.sdkload", json.dumps(asdict(config)), "the SDK emitter", env=config.env()
        )

    def result(self) -> SdkLoadResult:
        timeout = self.config.duration + self.config.flush_seconds + 60
        return SdkLoadResult(**self.report(timeout))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m kansoku.bench.sdkload '<json config>'", file=sys.stderr)
        return 2
    result = run(SdkLoadConfig(**json.loads(argv[0])))
    sys.stdout.write(json.dumps(asdict(result)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
