"""The load generator's knobs, read from the environment (no locust import here)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from kansoku import conventions
from kansoku.services.settings import float_from_env, int_from_env, url_from_env

MAX_USERS = 500  # a bound, so a typo cannot turn the load generator into a flood
MAX_RUN_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class LoadgenSettings:
    frontend_url: str
    users: int
    spawn_rate: float
    think_seconds: float
    run_seconds: int  # 0 = until SIGTERM

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LoadgenSettings:
        env = os.environ if environ is None else environ
        frontend = conventions.PORTS_BY_KEY[conventions.SHOP_FRONTEND]
        default_url = f"http://127.0.0.1:{env.get(frontend.env) or frontend.default}"
        return cls(
            frontend_url=url_from_env(env, conventions.ENV_SHOP_FRONTEND_URL, default_url),
            users=int_from_env(env, conventions.ENV_LOADGEN_USERS, 2, minimum=1, maximum=MAX_USERS),
            spawn_rate=float_from_env(
                env, conventions.ENV_LOADGEN_SPAWN_RATE, 1.0, minimum=0.01, maximum=100.0
            ),
            think_seconds=float_from_env(
                env, conventions.ENV_LOADGEN_THINK_SECONDS, 1.0, minimum=0.0, maximum=600.0
            ),
            run_seconds=int_from_env(
                env, conventions.ENV_LOADGEN_RUN_SECONDS, 0, minimum=0, maximum=MAX_RUN_SECONDS
            ),
        )

    def wait_bounds(self) -> tuple[float, float]:
        """Think time between page views: uniformly ±50% around ``think_seconds``.

        The rate is therefore about ``users / think_seconds`` page views per second.
        """
        return self.think_seconds * 0.5, self.think_seconds * 1.5
