"""Local mode: ``up`` (foreground or detached), ``down`` and ``status`` as library calls."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from kansoku.errors import NotRunningError, StackError
from kansoku.stack import components, ports
from kansoku.stack import state as st
from kansoku.stack.supervisor import Report, Supervisor
from kansoku.tools import lookup


def _refuse_if_running(data_dir: Path) -> None:
    try:
        current = st.running(data_dir)
    except NotRunningError:
        return
    raise StackError(
        f"a stack is already running under {data_dir} "
        f"(supervisor pid {current.supervisor_pid}); run 'kansoku down' first"
    )


def prepare(
    settings: components.StackSettings,
    *,
    fresh: bool = False,
    binaries: dict[str, Path] | None = None,
    report: Report = print,
) -> list[components.ComponentSpec]:
    """Checks that need nothing started: binaries, a free data dir, every port free.

    A component's notes (something missing that it can run without) are reported here.
    """
    _refuse_if_running(settings.data_dir)
    if binaries is None:
        binaries = {b: lookup.resolve(b).path for b in components.needed_binaries(settings)}
    specs = components.build_specs(settings, binaries)
    for note in (n for s in specs for n in s.notes):
        report(f"warning: {note}")
    ports.preflight(settings.ports, [k for s in specs for k in s.port_keys], settings.bind_address)
    if fresh and settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return specs


def new_state(settings: components.StackSettings) -> st.StackState:
    return st.StackState(
        data_dir=str(settings.data_dir),
        bind_address=settings.bind_address,
        ports=dict(settings.ports),
        supervisor_pid=os.getpid(),
        started_at=time.time(),
    )


def run_foreground(
    settings: components.StackSettings,
    specs: list[components.ComponentSpec],
    *,
    report: Report = print,
    on_ready: Callable[[st.StackState], None] | None = None,
) -> int:
    """Start everything, call ``on_ready``, watch until SIGINT/SIGTERM, then stop everything."""
    state = new_state(settings)
    supervisor = Supervisor(specs, state, settings.data_dir / "logs", report=report)

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        report(f"received {signal.Signals(signum).name}; stopping the stack")
        supervisor.stopping.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        supervisor.start_all()
        if on_ready:
            on_ready(state)
        supervisor.watch()
    finally:
        if state.status not in ("stopped", "failed"):
            supervisor.stop_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    report("stack stopped")
    return 0


def spawn_detached(
    argv: list[str], data_dir: Path, *, timeout: float = 300.0, report: Report = print
) -> st.StackState:
    """Run ``kansoku up`` in the background and wait until it is ready or has failed."""
    run_dir = data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    st.state_file(data_dir).unlink(missing_ok=True)
    log = run_dir / "supervisor.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kansoku", *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    report(f"stack supervisor started in the background (pid {proc.pid}); log: {log}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        try:
            current = st.read(data_dir)
        except NotRunningError:
            current = None
        if current and current.status == "ready":
            return current
        if code is not None or (current and current.status == "failed"):
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise StackError(f"the stack failed to start; last lines of {log}:\n{tail}")
        time.sleep(0.3)
    raise StackError(f"the stack was not ready after {timeout:.0f}s; see {log}")


def _wait_gone(pid: int | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not st.pid_alive(pid):
            return True
        time.sleep(0.2)
    return not st.pid_alive(pid)


def down(data_dir: Path, *, timeout: float = 60.0, report: Report = print) -> st.StackState:
    """Stop the stack under ``data_dir``: TERM its supervisor, then make sure nothing is left."""
    current = st.read(data_dir)
    if st.pid_alive(current.supervisor_pid):
        report(f"stopping the stack (supervisor pid {current.supervisor_pid})")
        os.kill(current.supervisor_pid, signal.SIGTERM)
        if not _wait_gone(current.supervisor_pid, timeout):
            report("the supervisor did not stop in time; killing it")
            os.kill(current.supervisor_pid, signal.SIGKILL)
            _wait_gone(current.supervisor_pid, 5.0)
    else:
        report("no supervisor is running; cleaning up what it left")
    for comp in st.read(data_dir).components.values():
        if st.pid_alive(comp.pid) and comp.pid:
            report(f"killing left-over {comp.name} (pid {comp.pid})")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(comp.pid, signal.SIGKILL)
    final = st.read(data_dir)
    if final.status != "stopped":
        final.status = "stopped"
        st.write(final)
    return final


def status(data_dir: Path) -> st.StackState:
    """The last written state, with liveness re-checked now."""
    current = st.read(data_dir)
    supervisor_alive = st.pid_alive(current.supervisor_pid)
    for comp in current.components.values():
        if comp.status in ("ready", "starting") and not (
            supervisor_alive and st.pid_alive(comp.pid)
        ):
            comp.status = "exited"
    if not supervisor_alive and current.status not in ("stopped", "failed"):
        current.status = "supervisor gone"
    return current
