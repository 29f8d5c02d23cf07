"""Start components in order, wait for each to be ready, watch them, stop them cleanly.

Components start in stages: those of one stage (which do not need each other to start) are
launched together, and the next stage starts when all of them answered their readiness check.

A ``Launcher`` starts a component and returns a ``Process``; the real one uses subprocess,
and the tests can pass any object with the same methods. Children run in their own process
group (so one TERM reaches a component's helpers too) and get SIGKILL from the kernel if the
supervisor itself dies, so nothing outlives the stack.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import itertools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import urlsplit

from kansoku.errors import ReadinessError
from kansoku.stack import state as st
from kansoku.stack.components import ComponentSpec, process_env

Report = Callable[[str], None]
_PR_SET_PDEATHSIG = 1


class Process(Protocol):
    pid: int

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class Launcher(Protocol):
    def launch(self, spec: ComponentSpec, log: IO[bytes]) -> Process: ...

    def signal(self, process: Process, sig: int) -> None: ...


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class SubprocessLauncher:
    """Starts real processes, each leading its own process group."""

    def launch(self, spec: ComponentSpec, log: IO[bytes]) -> Process:
        return subprocess.Popen(
            spec.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=process_env(spec),
            cwd=spec.cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - it only calls prctl, no locks
        )

    def signal(self, process: Process, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def http_ready(url: str) -> bool:
    """``url`` answers a GET below 400. The standard library's client, not httpx: importing
    httpx (with the rich and pygments its CLI module pulls in) costs ``kansoku up`` about
    0.5 s of CPU on a busy machine, twice with ``--detach``."""
    parts = urlsplit(url)
    conn_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_class(parts.hostname or "127.0.0.1", parts.port, timeout=2.0)
    try:
        conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        return conn.getresponse().status < 400
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _stages(specs: list[ComponentSpec]) -> list[list[ComponentSpec]]:
    """Components with the same ``stage`` start together, lower stages first."""
    ordered = sorted(specs, key=lambda s: s.stage)  # stable: spec order within a stage
    return [list(group) for _, group in itertools.groupby(ordered, key=lambda s: s.stage)]


class Supervisor:
    """Runs the components of one stack and keeps ``state.json`` up to date."""

    def __init__(
        self,
        specs: list[ComponentSpec],
        state: st.StackState,
        log_dir: Path,
        launcher: Launcher | None = None,
        report: Report = print,
        stop_timeout: float = 10.0,
        ready_check: Callable[[str], bool] = http_ready,
    ) -> None:
        self.specs = specs
        self.state = state
        self.log_dir = log_dir
        self.launcher: Launcher = launcher or SubprocessLauncher()
        self.report = report
        self.stop_timeout = stop_timeout
        self.ready_check = ready_check
        self.processes: dict[str, Process] = {}
        self.stopping = threading.Event()
        for spec in specs:
            state.components[spec.name] = st.ComponentState(
                name=spec.name,
                log=str(self.log_path(spec)),
                ports=list(spec.port_keys),
                url=spec.url,
            )

    def log_path(self, spec: ComponentSpec) -> Path:
        return self.log_dir / f"{spec.name}.log"

    def _save(self) -> None:
        st.write(self.state)

    def start_all(self) -> None:
        """Start every component in order; on any failure stop what started and re-raise."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._save()
        try:
            for stage in _stages(self.specs):
                self._start_stage(stage)
        except BaseException:
            self.state.status = "failed"
            self.stop_all()
            self.state.status = "failed"
            self._save()
            raise
        self.state.status = "ready"
        self.state.ready_at = time.time()
        self._save()

    def _start_stage(self, stage: list[ComponentSpec]) -> None:
        """Start a stage's components together, then wait until each one is ready."""
        total = len(self.specs)
        started = time.monotonic()
        for spec in stage:
            if self.stopping.is_set():
                raise ReadinessError("interrupted while starting")
            self.report(f"[{self.specs.index(spec) + 1}/{total}] starting {spec.name} ...")
            self._start(spec)
        for spec in stage:
            self._wait_ready(spec)
            self.report(
                f"[{self.specs.index(spec) + 1}/{total}] {spec.name} ready "
                f"in {time.monotonic() - started:.1f}s"
            )

    def _start(self, spec: ComponentSpec) -> None:
        if spec.prepare:
            spec.prepare()
        comp = self.state.components[spec.name]
        with self.log_path(spec).open("ab") as log:
            log.write(
                f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting: "
                f"{' '.join(spec.argv)}\n".encode()
            )
            log.flush()
            proc = self.launcher.launch(spec, log)
        self.processes[spec.name] = proc
        comp.pid, comp.status, comp.exit_code, comp.detail = proc.pid, "starting", None, ""
        self._save()

    def _wait_ready(self, spec: ComponentSpec) -> None:
        comp = self.state.components[spec.name]
        proc = self.processes[spec.name]
        deadline = time.monotonic() + spec.startup_timeout
        settle = time.monotonic() + 2.0  # a component without a probe must survive this long
        while True:
            code = proc.poll()
            if code is not None:
                comp.status, comp.exit_code = "failed", code
                self._save()
                raise ReadinessError(
                    f"{spec.name} exited with code {code} while starting; last lines of "
                    f"{self.log_path(spec)}:\n{log_tail(self.log_path(spec))}"
                )
            if spec.ready_url is None and time.monotonic() >= settle:
                break
            if spec.ready_url is not None and self.ready_check(spec.ready_url):
                break
            if time.monotonic() >= deadline:
                comp.status = "failed"
                self._save()
                raise ReadinessError(
                    f"{spec.name} was not ready at {spec.ready_url} after "
                    f"{spec.startup_timeout:.0f}s; last lines of {self.log_path(spec)}:\n"
                    f"{log_tail(self.log_path(spec))}"
                )
            if self.stopping.wait(0.2):
                raise ReadinessError(f"interrupted while waiting for {spec.name}")
        comp.status = "ready"
        self._save()

    def check_once(self) -> list[str]:
        """Notice components that died; returns a report line for each newly dead one."""
        lines = []
        for spec in self.specs:
            comp = self.state.components[spec.name]
            proc = self.processes.get(spec.name)
            if proc is None or comp.status not in ("ready", "starting"):
                continue
            code = proc.poll()
            if code is not None:
                comp.status, comp.exit_code = "exited", code
                comp.detail = f"exited with code {code}"
                lines.append(
                    f"{spec.name} exited with code {code}; last lines of "
                    f"{self.log_path(spec)}:\n{log_tail(self.log_path(spec))}"
                )
        if lines:
            self.state.status = "degraded"
            self._save()
        return lines

    def watch(self, interval: float = 1.0) -> None:
        """Report dead components until asked to stop."""
        while not self.stopping.wait(interval):
            for line in self.check_once():
                self.report(line)

    def _spec(self, name: str) -> ComponentSpec:
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise KeyError(f"no component named {name!r}")

    def stop_component(self, name: str) -> None:
        """Stop one component (TERM, then KILL); the others keep running."""
        spec = self._spec(name)
        proc = self.processes.get(name)
        if proc is not None:
            self._terminate(spec, proc)
        self.state.components[name].status = "stopped"
        self._save()

    def start_component(self, name: str) -> None:
        """(Re)start one component and wait until it is ready."""
        spec = self._spec(name)
        self._start(spec)
        self._wait_ready(spec)

    def _terminate(self, spec: ComponentSpec, proc: Process) -> None:
        if proc.poll() is None:
            self.report(f"stopping {spec.name} (pid {proc.pid})")
            self.launcher.signal(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.report(f"{spec.name} did not stop within {self.stop_timeout:.0f}s; killing it")
                self.launcher.signal(proc, signal.SIGKILL)
                proc.wait(timeout=self.stop_timeout)
        # Helpers a component started in its process group go with it.
        self.launcher.signal(proc, signal.SIGKILL)

    def stop_all(self) -> None:
        """TERM every component in reverse order, KILL what is left after the timeout."""
        self.state.status = "stopping"
        self._save()
        for spec in reversed(self.specs):
            proc = self.processes.get(spec.name)
            if proc is None:
                continue
            self._terminate(spec, proc)
            comp = self.state.components[spec.name]
            if comp.status != "exited":
                comp.status = "stopped"
            comp.exit_code = proc.poll()
            self._save()
        self.state.status = "stopped"
        self._save()
