"""``db.client.connections.usage`` read from the pool when metrics are collected.

The SQLAlchemy instrumentation keeps this up-down counter by listening to the pool: four
measurements per request (checkout: used +1, idle -1; checkin: the reverse), each copying and
hashing its attributes. The same figures are the pool's own counts at any moment, so an
observable counter asks the pool once per collection instead, and the instrumentation gets a
no-op meter (its listeners stay, recording nothing: taking them off would break its own
uninstrument). Same name, unit and attributes (``pool.name``, ``state`` = ``used`` /
``idle``), so the series is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from sqlalchemy import Engine

NAME = "db.client.connections.usage"


def pool_name(engine: Engine) -> str:
    """The instrumentation's ``pool.name``: the pool's logging name, else the URL sans secrets."""
    logging_name = getattr(engine.pool, "logging_name", None)
    if logging_name:
        return str(logging_name)
    url = engine.url
    return f"{url.drivername or ''}://{url.host or ''}:{url.port or ''}/{url.database or ''}"


def observe_pool(engine: Engine, meter: metrics.Meter) -> None:
    """Report the pool's used and idle connections at every collection."""
    name = pool_name(engine)

    def observe(_options: CallbackOptions) -> Iterable[Observation]:
        pool = engine.pool  # read each time: ``Engine.dispose`` replaces the pool
        used, idle = getattr(pool, "checkedout", None), getattr(pool, "checkedin", None)
        if used is None or idle is None:  # pools that keep no count (NullPool, StaticPool)
            return []
        return [
            Observation(used(), {"pool.name": name, "state": "used"}),
            Observation(idle(), {"pool.name": name, "state": "idle"}),
        ]

    meter.create_observable_up_down_counter(
        NAME,
        callbacks=[observe],
        unit="{connection}",
        description="Connections of the pool in the state named by the state attribute",
    )
