"""Entry point: ``python -m kansoku.services.loadgen``, configured only by environment.

Runs until SIGTERM/SIGINT or until ``KANSOKU_LOADGEN_RUN_SECONDS`` have passed once every
user has spawned, logging a one-line summary every 30 seconds and at the end; exits 0 after
a clean stop.
"""

# Locust monkey-patches the standard library for gevent on import; it must come first.
import locust  # noqa: I001
from locust.env import Environment
from locust.stats import StatsEntry

import logging
import signal
import sys

import gevent  # type: ignore[import-untyped]  # gevent ships no type information

from kansoku.errors import ConfigError
from kansoku.services.loadgen.journeys import configure
from kansoku.services.loadgen.settings import LoadgenSettings

_log = logging.getLogger("kansoku.loadgen")
_REPORT_EVERY_SECONDS = 30.0

__all__ = ["locust", "main"]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = LoadgenSettings.from_env()
    except ConfigError as exc:
        _log.error("%s", exc)
        return exc.exit_code
    env = Environment(user_classes=[configure(settings)], host=settings.frontend_url)
    runner = env.create_local_runner()
    gevent.signal_handler(signal.SIGTERM, runner.quit)
    gevent.signal_handler(signal.SIGINT, runner.quit)
    if settings.run_seconds:
        # The run time is time under full load: counted from when every user has spawned, so a
        # slow start (a busy machine) does not eat into it.
        run_seconds = settings.run_seconds

        def stop_later(**_: object) -> None:
            gevent.spawn_later(run_seconds, runner.quit)

        env.events.spawning_complete.add_listener(stop_later)  # type: ignore[no-untyped-call]
    reporter = gevent.spawn(_report_forever, env)
    _log.info(
        "load on %s: %d users (spawn rate %.2f/s, think time %.2fs), %s",
        settings.frontend_url,
        settings.users,
        settings.spawn_rate,
        settings.think_seconds,
        f"for {settings.run_seconds}s" if settings.run_seconds else "until stopped",
    )
    runner.start(settings.users, spawn_rate=settings.spawn_rate)
    if runner.greenlet is not None:
        runner.greenlet.join()
    reporter.kill()
    _log.info("stopped; %s", _summary(env.stats.total))
    return 0


def _report_forever(env: Environment) -> None:
    while True:
        gevent.sleep(_REPORT_EVERY_SECONDS)
        _log.info("%s", _summary(env.stats.total))


def _summary(total: StatsEntry) -> str:
    return (
        f"{total.num_requests} requests, {total.num_failures} failed, "
        f"{total.current_rps:.1f} req/s, p50 {total.get_response_time_percentile(0.5):.0f} ms, "
        f"p99 {total.get_response_time_percentile(0.99):.0f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
