"""Build pinned tools in the background, at the lowest CPU and I/O priority, while other work
runs; wait for them later.

The test run uses it for the control plane: on a cold cache its build (about 15 min on two
cores) would otherwise come before every test, although the end-to-end tests that run first
spend most of their time waiting on the stack. Started niced (``nice 19``, ``ionice -c 3``),
the build takes only the CPU those tests leave idle.

The build runs in a session of its own (so that stopping it stops its go builds), and on a
kernel with the scheduler's autogroups (``/proc/sys/kernel/sched_autogroup_enabled``, on by
default on most distributions) a new session is a new group that gets an equal share of the
CPU whatever its processes' nice: the build would take half of the machine from the tests.
So the group's own nice is set to 19 as well (``/proc/<pid>/autogroup``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kansoku.errors import ToolError
from kansoku.tools.build import Progress, log_tail

_REPORT_SECONDS = 30.0
_READY_SECONDS = 5.0
LOWEST_NICE = 19


def _lowest_priority() -> list[str]:
    """``nice -n 19`` and, where it exists, ``ionice -c 3`` (idle I/O class)."""
    prefix = ["nice", "-n", str(LOWEST_NICE)]
    if shutil.which("ionice"):
        prefix += ["ionice", "-c", "3"]
    return prefix


def lower_autogroup(pid: int) -> bool:
    """Give the scheduler autogroup of ``pid``'s session nice 19; False where the kernel has
    no autogroups (nice alone then decides)."""
    try:
        Path(f"/proc/{pid}/autogroup").write_text(f"{LOWEST_NICE}\n")
    except OSError:
        return False
    return True


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""


@dataclass
class BackgroundInstall:
    """``kansoku tools install NAMES`` in a child process whose output goes to ``log``."""

    names: Sequence[str]
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    started: float = field(default=0.0, init=False)

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        argv = [*_lowest_priority(), sys.executable, "-m", "kansoku", "tools", "install"]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [*argv, *self.names],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=os.environ.copy(),
                start_new_session=True,  # its go builds are stopped with it, as one group
            )
        lower_autogroup(self.process.pid)
        self.started = time.monotonic()

    def wait(self, progress: Progress, ready: Callable[[], bool] | None = None) -> None:
        """Block until the install ends (or ``ready()`` holds: the tools a caller needs were
        built first), reporting its last log line every 30 s; a failed install is a
        ToolError carrying the end of its log."""
        if self.process is None:
            return
        reported = time.monotonic()
        while True:
            if ready is not None and ready():
                return
            try:
                code = self.process.wait(timeout=_READY_SECONDS if ready else _REPORT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() - reported < _REPORT_SECONDS - 1:
                    continue
                reported = time.monotonic()
                elapsed = time.monotonic() - self.started
                progress(
                    f"waiting for the background build of {', '.join(self.names)} "
                    f"({elapsed:.0f}s so far; log {self.log}): {_last_line(self.log)}"
                )
        if code != 0:
            raise ToolError(
                f"the background build of {', '.join(self.names)} failed (exit code {code}); "
                f"last lines of {self.log}:\n{log_tail(self.log)}"
            )

    def stop(self) -> None:
        """Stop an install still running (the run ended first); the cache keeps only
        finished builds, so nothing half-built is left."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
