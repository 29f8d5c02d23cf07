"""The services are configured only by environment; bad values name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from kansoku import conventions
from kansoku.errors import ConfigError
from kansoku.services.loadgen.settings import MAX_USERS, LoadgenSettings
from kansoku.services.settings import ServiceSettings

BACKEND_PORT = conventions.PORTS_BY_KEY[conventions.SHOP_BACKEND].env


def test_defaults_are_loopback_and_the_documented_port(tmp_path: Path) -> None:
    settings = ServiceSettings.from_env(
        conventions.SHOP_BACKEND, {conventions.ENV_DATA_DIR: str(tmp_path)}
    )
    assert (settings.bind_address, settings.port) == ("127.0.0.1", 8081)
    assert settings.data_dir == tmp_path
    assert settings.admin_token is None


def test_port_bind_address_and_token_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        BACKEND_PORT: "19081",
        conventions.ENV_BIND_ADDRESS: "0.0.0.0",
        conventions.ENV_ADMIN_TOKEN: "s3cret",
        conventions.ENV_DATA_DIR: str(tmp_path),
    }
    settings = ServiceSettings.from_env(conventions.SHOP_BACKEND, env)
    assert (settings.bind_address, settings.port, settings.admin_token) == (
        "0.0.0.0",
        19081,
        "s3cret",
    )


@pytest.mark.parametrize("value", ["http", "0", "70000"])
def test_a_bad_port_is_a_config_error_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match=BACKEND_PORT):
        ServiceSettings.from_env(conventions.SHOP_BACKEND, {BACKEND_PORT: value})


def test_loadgen_is_bounded_and_reads_its_knobs() -> None:
    env = {
        conventions.ENV_SHOP_FRONTEND_URL: "http://shop:8080/",
        conventions.ENV_LOADGEN_USERS: "5",
        conventions.ENV_LOADGEN_SPAWN_RATE: "2.5",
        conventions.ENV_LOADGEN_THINK_SECONDS: "2",
        conventions.ENV_LOADGEN_RUN_SECONDS: "60",
    }
    settings = LoadgenSettings.from_env(env)
    assert settings.frontend_url == "http://shop:8080"
    assert (settings.users, settings.spawn_rate, settings.run_seconds) == (5, 2.5, 60)
    assert settings.wait_bounds() == (1.0, 3.0)
    with pytest.raises(ConfigError, match=conventions.ENV_LOADGEN_USERS):
        LoadgenSettings.from_env({conventions.ENV_LOADGEN_USERS: str(MAX_USERS + 1)})
    with pytest.raises(ConfigError, match=conventions.ENV_SHOP_FRONTEND_URL):
        LoadgenSettings.from_env({conventions.ENV_SHOP_FRONTEND_URL: "shop:8080"})
    with pytest.raises(ConfigError, match=conventions.ENV_LOADGEN_SPAWN_RATE):
        LoadgenSettings.from_env({conventions.ENV_LOADGEN_SPAWN_RATE: "nan"})
