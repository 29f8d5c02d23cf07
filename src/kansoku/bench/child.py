"""Bench helpers run as their own processes, so their CPU is measured apart from the stack's.

Each is started as ``python -m <module> '<json config>'`` and prints its report as the last
line of its standard output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any, Self


class ReportingChild:
    """A running helper process; ``report()`` waits for it and parses its JSON report."""

    def __init__(
        self, module: str, config_json: str, what: str, env: Mapping[str, str] | None = None
    ) -> None:
        self.what = what
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, config_json],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def report(self, timeout: float) -> dict[str, Any]:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise RuntimeError(f"{self.what} did not finish: {err[-2000:]}") from None
        if self.proc.returncode != 0 or not out.strip():
            raise RuntimeError(f"{self.what} failed ({self.proc.returncode}): {err[-2000:]}")
        data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return data

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Kill the process if it still runs, wait for it and close its pipes (idempotent):
        for a caller that gives up before ``report()``."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
