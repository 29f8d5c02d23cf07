"""Fault injection: per-route error rate and added latency, so SLO burn can be produced.

Rules are keyed by route template (``/api/orders``) or ``*`` for every route; an exact
route wins over ``*``. They come from two variables at start::

    KANSOKU_FAULT_ERROR_RATE="/api/orders=0.5,*=0.01"   # share answered 503
    KANSOKU_FAULT_LATENCY_MS="/api/products=150"         # added before the handler runs

and can be read and replaced at run time on ``/admin/faults`` with
``Authorization: Bearer $KANSOKU_ADMIN_TOKEN``. Without a configured token the admin
endpoint answers 404 to everyone: it is never open.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from pydantic import BaseModel, Field

from kansoku import conventions
from kansoku.errors import ConfigError

_log = logging.getLogger(__name__)
ALL_ROUTES = "*"
EXEMPT_ROUTES = frozenset({conventions.HEALTH_PATH, conventions.ADMIN_FAULTS_PATH})
_MAX_LATENCY_MS = 60_000.0


class Fault(BaseModel):
    """What happens to requests on one route."""

    error_rate: float = Field(0.0, ge=0.0, le=1.0, description="share answered with 503")
    latency_ms: float = Field(0.0, ge=0.0, le=_MAX_LATENCY_MS, description="added delay")


class FaultRules(BaseModel):
    """The admin endpoint's body: every rule, keyed by route template or ``*``."""

    rules: dict[Annotated[str, Field(min_length=1, max_length=200)], Fault] = Field(
        default_factory=dict, max_length=100
    )


@dataclass
class FaultTable:
    """The rules in force; replaced as a whole so a reader never sees half an update."""

    rules: dict[str, Fault]

    def for_route(self, route: str) -> Fault | None:
        rules = self.rules
        return rules.get(route) or rules.get(ALL_ROUTES)

    def replace(self, rules: Mapping[str, Fault]) -> None:
        self.rules = dict(rules)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> FaultTable:
        rates = _parse_pairs(environ, conventions.ENV_FAULT_ERROR_RATE, maximum=1.0)
        delays = _parse_pairs(environ, conventions.ENV_FAULT_LATENCY_MS, maximum=_MAX_LATENCY_MS)
        rules = {
            route: Fault(error_rate=rates.get(route, 0.0), latency_ms=delays.get(route, 0.0))
            for route in rates.keys() | delays.keys()
        }
        return cls(rules)


def _parse_pairs(environ: Mapping[str, str], name: str, *, maximum: float) -> dict[str, float]:
    """``route=value`` pairs separated by commas; a bare value means every route."""
    result: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in environ.get(name, "").split(","))):
        route, sep, raw = item.rpartition("=")
        route = route.strip() if sep else ALL_ROUTES
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError("environment", name, f"route=number pairs, got {item!r}") from None
        if not 0.0 <= value <= maximum or not route:
            raise ConfigError("environment", name, f"route=value with 0 <= value <= {maximum}")
        result[route] = value
    return result


def injector(table: FaultTable) -> Callable[[Request], Awaitable[None]]:
    """A dependency for every route: waits and/or fails as the table says.

    It runs after routing, so it knows the route template, and before the handler, so an
    injected error touches no data.
    """

    async def inject_faults(request: Request) -> None:
        route = getattr(request.scope.get("route"), "path", "")
        if route in EXEMPT_ROUTES:
            return
        fault = table.for_route(route)
        if fault is None:
            return
        if fault.latency_ms > 0:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.error_rate > 0 and random.random() < fault.error_rate:  # noqa: S311 - not crypto
            _log.warning("injected error on %s", route)
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "injected fault")

    return inject_faults


def admin_router(table: FaultTable, admin_token: str | None) -> APIRouter:
    """``GET``/``PUT``/``DELETE`` of the rules, behind the bearer token."""

    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        if not admin_token:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "admin endpoint disabled: no token set")
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), admin_token.encode()
        ):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )

    router = APIRouter(dependencies=[Depends(require_token)], include_in_schema=False)
    path = conventions.ADMIN_FAULTS_PATH

    @router.get(path)
    def get_faults() -> FaultRules:
        return FaultRules(rules=table.rules)

    @router.put(path)
    def put_faults(body: FaultRules) -> FaultRules:
        table.replace(body.rules)
        _log.warning("fault rules replaced: %s", body.model_dump_json())
        return FaultRules(rules=table.rules)

    @router.delete(path)
    def delete_faults() -> FaultRules:
        table.replace({})
        _log.warning("fault rules cleared")
        return FaultRules(rules=table.rules)

    return router
