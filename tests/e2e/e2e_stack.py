"""Starting and stopping real local stacks the way a user does, for the e2e tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kansoku.stack import state as st
from kansoku.stack.ports import free_ports

UP_TIMEOUT = 420


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
