"""What every shop service reads from its environment (and nothing else configures it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kansoku import conventions, locations
from kansoku.errors import ConfigError

_ENVIRONMENT = "environment"  # what a ConfigError names as the "file" for a bad variable


@dataclass(frozen=True)
class ServiceSettings:
    """Bind address, port, data directory and admin token of one service process."""

    bind_address: str
    port: int
    data_dir: Path
    admin_token: str | None

    @classmethod
    def from_env(cls, port_key: str, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        env = os.environ if environ is None else environ
        port = conventions.PORTS_BY_KEY[port_key]
        data_dir = env.get(conventions.ENV_DATA_DIR)
        return cls(
            bind_address=env.get(conventions.ENV_BIND_ADDRESS, "") or "127.0.0.1",
            port=int_from_env(env, port.env, port.default, minimum=1, maximum=65535),
            data_dir=Path(data_dir) if data_dir else locations.default_data_dir(),
            admin_token=env.get(conventions.ENV_ADMIN_TOKEN) or None,
        )


def int_from_env(
    env: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int
) -> int:
    """An integer variable within bounds, or a ``ConfigError`` naming it."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(_ENVIRONMENT, name, f"an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(_ENVIRONMENT, name, f"between {minimum} and {maximum}, got {value}")
    return value


def float_from_env(
    env: Mapping[str, str], name: str, default: float, *, minimum: float, maximum: float
) -> float:
    """A number variable within bounds, or a ``ConfigError`` naming it."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(_ENVIRONMENT, name, f"a number, got {raw!r}") from None
    if not minimum <= value <= maximum:  # also rejects nan
        raise ConfigError(_ENVIRONMENT, name, f"between {minimum} and {maximum}, got {raw}")
    return value


def url_from_env(env: Mapping[str, str], name: str, default: str) -> str:
    """A base URL without a trailing slash; must be http(s)."""
    value = (env.get(name, "").strip() or default).rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ConfigError(_ENVIRONMENT, name, f"an http:// or https:// URL, got {value!r}")
    return value
