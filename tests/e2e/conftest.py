"""Real local stacks on free ports for the end-to-end tests.

The stacks are started the way a user starts them (``kansoku up --detach``) and stopped with
``kansoku down``; a missing upstream binary fails the run here, it never skips.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from browser import browser, page, page_events
from e2e_stack import down, up_detached

from kansoku import conventions as cv
from kansoku.console import assets
from kansoku.stack import state as st
from kansoku.stack.components import needed_binaries
from kansoku.tools import lookup

# The browser fixtures (tests/e2e/browser.py), for every e2e test module.
__all__ = ["browser", "page", "page_events"]


@pytest.fixture(scope="session", autouse=True)
def _binaries_present() -> None:
    """Fail, never skip, when the upstream binaries or the console's build are missing."""
    for binary in (*needed_binaries(), "promtool", "amtool"):
        lookup.resolve(binary)
    assets.resolve()


@pytest.fixture(scope="session")
def admin_token() -> str:
    return secrets.token_hex(16)


@pytest.fixture(scope="session")
def core_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[st.StackState]:
    """Collector, Prometheus and Jaeger only."""
    data_dir = tmp_path_factory.mktemp("core-stack")
    state = up_detached(data_dir, "--no-services")
    yield state
    down(data_dir)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, admin_token: str) -> Iterator[st.StackState]:
    """The whole stack: core, shop services and the load generator at a low rate."""
    data_dir = tmp_path_factory.mktemp("stack")
    env = {
        cv.ENV_ADMIN_TOKEN: admin_token,
        cv.ENV_LOADGEN_USERS: "2",
        cv.ENV_LOADGEN_SPAWN_RATE: "1",
    }
    os.environ[cv.ENV_ADMIN_TOKEN] = admin_token
    state = up_detached(data_dir, env=env)
    yield state
    down(data_dir)
