"""Instructions per request, counted by callgrind: a figure the machine's load cannot move.

``perf stat -e instructions`` needs hardware counters, which a KVM guest like this machine's
does not expose (perf prints ``<not supported>``), so the bench counts with valgrind's
callgrind instead, on the in-process driver ``kansoku.bench.inproc``. Valgrind starts with
instrumentation off (start-up and imports run at a few times native speed, uncounted); once
the driver has warmed up, ``callgrind_control -i on`` switches it on, the driver serves its
requests and flushes its telemetry, and ``-i off`` switches it off before it exits. The total
``Ir`` (instructions executed, in every thread) divided by the requests is the figure.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kansoku.errors import ToolError

_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)
_READY_TIMEOUT = 900.0  # seconds; imports under valgrind on a busy 2-core machine are slow
_RUN_TIMEOUT = 3600.0


@dataclass(frozen=True)
class Count:
    """What one counted run measured."""

    app: str
    requests: int
    instructions: int

    @property
    def per_request(self) -> float:
        return self.instructions / self.requests if self.requests else 0.0


def parse_totals(text: str) -> int:
    """The ``totals:`` line of a callgrind output file (``Ir`` only is collected)."""
    match = _TOTALS.search(text)
    if match is None:
        raise ValueError("no 'totals:' line in the callgrind output")
    return int(match.group(1))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} not found: install valgrind (Debian: apt-get install valgrind)")
    return path


def _read_line(proc: subprocess.Popen[str], expect: str, timeout: float, log: Path) -> str:
    if proc.stdout is None:
        raise ToolError("the in-process driver has no stdout pipe")
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=1.0):
            line = proc.stdout.readline()
            if line.startswith(expect):
                return line.strip()
            if not line:
                break
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise ToolError(f"the in-process driver never printed {expect!r}; its stderr ends:\n{tail}")


def _control(pid: int, switch: str) -> None:
    subprocess.run(
        [_tool("callgrind_control"), "-i", switch, str(pid)],
        check=True,
        capture_output=True,
        timeout=600,
    )


def count(app: str, requests: int, env: Mapping[str, str], log_dir: Path) -> Count:
    """Run the driver for ``app`` under callgrind with ``env`` added; count its requests."""
    with tempfile.TemporaryDirectory(prefix="kansoku-callgrind-") as tmp:
        control, out = Path(tmp), Path(tmp) / "callgrind.out"
        log = log_dir / f"callgrind-{app}-{os.getpid()}-{time.monotonic_ns()}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            _tool("valgrind"),
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            *(sys.executable, "-m", "kansoku.bench.inproc", app),
            *("--requests", str(requests), "--control", str(control)),
        ]
        with log.open("w") as err:
            proc = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=err, text=True, env={**os.environ, **env}
            )
            try:
                _read_line(proc, "ready", _READY_TIMEOUT, log)
                _control(proc.pid, "on")
                (control / "go").touch()
                _read_line(proc, "{", _RUN_TIMEOUT, log)
                _control(proc.pid, "off")
                (control / "stop").touch()
                if proc.wait(timeout=600) != 0:
                    raise ToolError(f"the driver for {app} failed (not every answer 200); {log}")
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        return Count(app, requests, parse_totals(out.read_text()))
