"""Property-based: whatever schemathesis sends per the backend's OpenAPI, no 5xx comes back."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings


@pytest.fixture
def backend_schema(backend_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", backend_app)


schema = schemathesis.pytest.from_fixture("backend_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_backend_never_answers_5xx(case: Any) -> None:
    response = case.call()
    case.validate_response(response)
    assert response.status_code < 500
