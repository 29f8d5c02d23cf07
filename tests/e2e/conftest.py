"""Real local stacks on free ports for the end-to-end tests.

The stacks are started the way a user starts them (``kansoku up --detach``) and stopped with
``kansoku down``; a missing upstream binary fails the run here, it never skips.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from kansoku import conventions as cv
from kansoku.stack import state as st
from kansoku.stack.components import needed_binaries
from kansoku.tools import lookup

UP_TIMEOUT = 420


def free_ports() -> dict[str, int]:
    """One free loopback port per port key (held together so none repeats)."""
    with ExitStack() as stack:
        socks = {}
        for port in cv.PORTS:
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            socks[port.key] = sock
        return {key: int(sock.getsockname()[1]) for key, sock in socks.items()}


def kansoku(
    *args: str, env: dict[str, str] | None = None, timeout: float = UP_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kansoku", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def up_detached(
    data_dir: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    ports: dict[str, int] | None = None,
) -> st.StackState:
    ports = ports or free_ports()
    flags = [f"--port={k}={v}" for k, v in ports.items()]
    proc = kansoku("up", "--detach", "--data-dir", str(data_dir), *flags, *extra, env=env)
    if proc.returncode != 0:
        pytest.fail(f"kansoku up failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return st.running(data_dir)


def down(data_dir: Path) -> None:
    before = st.read(data_dir)
    proc = kansoku("down", "--data-dir", str(data_dir), timeout=120)
    left = [c.name for c in before.components.values() if st.pid_alive(c.pid)]
    assert proc.returncode == 0, proc.stderr
    assert not left, f"processes left behind after down: {left}"


@pytest.fixture(scope="session", autouse=True)
def _binaries_present() -> None:
    """Fail, never skip, when the upstream binaries are missing."""
    for binary in (*needed_binaries(), "promtool"):
        lookup.resolve(binary)


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
