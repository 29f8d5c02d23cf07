"""Port overrides and the port-in-use check."""

from __future__ import annotations

import socket

import pytest

from kansoku import conventions as cv
from kansoku.errors import ConfigError, PortInUseError
from kansoku.stack import ports


def test_defaults_then_env_then_flags() -> None:
    env = {"KANSOKU_PORT_PROMETHEUS": "19090", "KANSOKU_PORT_OTLP_GRPC": "14000"}
    resolved = ports.resolve_ports(["otlp-grpc=15000"], environ=env)
    assert resolved["prometheus"] == 19090
    assert resolved["otlp-grpc"] == 15000
    assert resolved["jaeger-query"] == cv.PORTS_BY_KEY["jaeger-query"].default


@pytest.mark.parametrize(
    ("flag", "field"),
    [
        ("prometheus", "prometheus"),
        ("nosuch=1", "nosuch"),
        ("prometheus=abc", "port"),
        ("prometheus=70000", "port"),
    ],
)
def test_bad_port_flags_name_what_is_wrong(flag: str, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        ports.resolve_ports([flag], environ={})
    assert info.value.field == field


def test_bad_env_port_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        ports.resolve_ports([], environ={"KANSOKU_PORT_PROMETHEUS": "x"})
    assert info.value.file == "KANSOKU_PORT_PROMETHEUS"


def test_two_components_on_one_port_is_refused() -> None:
    resolved = ports.resolve_ports(["jaeger-query=9090"], environ={})
    with pytest.raises(ConfigError, match="prometheus"):
        ports.preflight(resolved, ["prometheus", "jaeger-query"], "127.0.0.1")


def test_taken_port_names_port_and_component() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        resolved = ports.resolve_ports([f"otlp-http={taken}"], environ={})
        with pytest.raises(PortInUseError) as info:
            ports.preflight(resolved, ["otlp-http"], "127.0.0.1")
    assert (info.value.port, info.value.component) == (taken, cv.COLLECTOR)
    assert f"port {taken} (otlp-http) for otel-collector" in str(info.value)


def test_free_port_passes() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    ports.preflight({"prometheus": free}, ["prometheus"], "127.0.0.1")


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:9090"),
        ("", "http://127.0.0.1:9090"),
        ("127.0.0.2", "http://127.0.0.2:9090"),
    ],
)
def test_client_url_reaches_a_wildcard_bind_through_loopback(bind: str, url: str) -> None:
    assert ports.client_url(bind, 9090) == url
