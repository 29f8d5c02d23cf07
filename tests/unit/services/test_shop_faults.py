"""Fault injection: rules from the environment, and the admin endpoint behind its token."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from shop_support import ADMIN_TOKEN, Signals, backend_with_faults

from kansoku import conventions
from kansoku.errors import ConfigError
from kansoku.services.faults import ALL_ROUTES, Fault, FaultTable

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PATH = conventions.ADMIN_FAULTS_PATH


def test_rules_from_env_are_per_route_with_a_wildcard() -> None:
    table = FaultTable.from_env(
        {
            conventions.ENV_FAULT_ERROR_RATE: "/api/orders=0.5, *=0.1",
            conventions.ENV_FAULT_LATENCY_MS: "/api/products=150",
        }
    )
    assert table.for_route("/api/orders") == Fault(error_rate=0.5)
    assert table.for_route("/api/products") == Fault(latency_ms=150)
    assert table.for_route("/api/carts") == Fault(error_rate=0.1)


def test_a_bare_number_applies_to_every_route() -> None:
    table = FaultTable.from_env({conventions.ENV_FAULT_ERROR_RATE: "0.25"})
    assert table.rules == {ALL_ROUTES: Fault(error_rate=0.25)}


@pytest.mark.parametrize("value", ["/api/orders=2", "abc", "/api/orders=-1", "=0.5"])
def test_a_bad_rule_is_a_config_error_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match=conventions.ENV_FAULT_ERROR_RATE):
        FaultTable.from_env({conventions.ENV_FAULT_ERROR_RATE: value})


def test_an_error_rate_of_one_fails_that_route_only(tmp_path: Path, signals: Signals) -> None:
    env = {conventions.ENV_FAULT_ERROR_RATE: "/api/products/{product_id}=1"}
    with backend_with_faults(tmp_path, signals, env) as client:
        failed = client.get("/api/products/1")
        assert (failed.status_code, failed.json()) == (503, {"detail": "injected fault"})
        assert client.get("/api/products").status_code == 200
        assert client.get(conventions.HEALTH_PATH).status_code == 200


def test_half_the_requests_fail_at_an_error_rate_of_one_half(
    tmp_path: Path, signals: Signals
) -> None:
    with backend_with_faults(tmp_path, signals, {conventions.ENV_FAULT_ERROR_RATE: "0.5"}) as c:
        codes = [c.get("/api/products/2").status_code for _ in range(200)]
    assert set(codes) == {200, 503}
    assert 60 <= codes.count(503) <= 140  # binomial(200, 0.5): far outside 6 sigma otherwise


def test_added_latency_delays_the_route(tmp_path: Path, signals: Signals) -> None:
    env = {conventions.ENV_FAULT_LATENCY_MS: "/api/products=150"}
    with backend_with_faults(tmp_path, signals, env) as client:
        start = time.perf_counter()
        assert client.get("/api/products").status_code == 200
        assert time.perf_counter() - start >= 0.15


def test_without_a_token_the_admin_endpoint_is_closed_to_everyone(
    tmp_path: Path, signals: Signals
) -> None:
    with backend_with_faults(tmp_path, signals, {}, token=None) as client:
        assert client.get(PATH, headers=AUTH).status_code == 404
        put = client.put(PATH, headers=AUTH, json={"rules": {"*": {"error_rate": 1}}})
        assert put.status_code == 404
        assert client.get("/api/products/1").status_code == 200  # nothing changed


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {ADMIN_TOKEN}"}],
)
def test_a_missing_or_wrong_token_is_401(
    tmp_path: Path, signals: Signals, headers: dict[str, str]
) -> None:
    with backend_with_faults(tmp_path, signals, {}) as client:
        response = client.put(PATH, headers=headers, json={"rules": {"*": {"error_rate": 1}}})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/products/1").status_code == 200


def test_the_token_holder_switches_faults_on_and_off(tmp_path: Path, signals: Signals) -> None:
    with backend_with_faults(tmp_path, signals, {}) as client:
        rules = {"rules": {"/api/orders/{order_id}": {"error_rate": 1.0, "latency_ms": 0}}}
        put = client.put(PATH, headers=AUTH, json=rules)
        assert put.status_code == 200
        assert client.get(PATH, headers=AUTH).json() == rules
        assert client.get(f"/api/orders/{'a' * 32}").status_code == 503
        assert client.delete(PATH, headers=AUTH).json() == {"rules": {}}
        assert client.get(f"/api/orders/{'a' * 32}").status_code == 404


def test_the_admin_endpoint_validates_rules(tmp_path: Path, signals: Signals) -> None:
    with backend_with_faults(tmp_path, signals, {}) as client:
        response = client.put(PATH, headers=AUTH, json={"rules": {"*": {"error_rate": 1.5}}})
        assert response.status_code == 422
        assert response.json()["detail"].startswith("rules.*.error_rate:")


def test_the_admin_endpoint_is_not_in_the_openapi(tmp_path: Path, signals: Signals) -> None:
    with backend_with_faults(tmp_path, signals, {}) as client:
        assert PATH not in client.get("/openapi.json").json()["paths"]
