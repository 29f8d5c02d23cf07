"""Supervision with real small processes, and with a fake launcher for the dying cases."""

from __future__ import annotations

import signal
import socket
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from kansoku.errors import ReadinessError
from kansoku.stack import state as st
from kansoku.stack.components import ComponentSpec
from kansoku.stack.supervisor import Process, SubprocessLauncher, Supervisor


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http_server(name: str) -> ComponentSpec:
    port = _free_port()
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}/"
    return ComponentSpec(name, argv, {}, url, (), url, startup_timeout=20)


def _python(name: str, code: str, ready_url: str | None = None) -> ComponentSpec:
    return ComponentSpec(
        name, [sys.executable, "-c", code], {}, ready_url, (), "-", startup_timeout=20
    )


def _supervisor(tmp_path: Path, specs: list[ComponentSpec], **kwargs: object) -> Supervisor:
    state = st.StackState(
        data_dir=str(tmp_path), bind_address="127.0.0.1", ports={}, supervisor_pid=0
    )
    messages: list[str] = []
    sup = Supervisor(specs, state, tmp_path / "logs", report=messages.append, **kwargs)  # type: ignore[arg-type]
    sup.messages = messages  # type: ignore[attr-defined]
    return sup


def test_starts_in_order_and_stop_leaves_no_process(tmp_path: Path) -> None:
    sup = _supervisor(tmp_path, [_http_server("first"), _http_server("second")])
    sup.start_all()
    pids = [c.pid for c in sup.state.components.values()]
    assert all(st.pid_alive(p) for p in pids)
    written = st.read(tmp_path)
    assert written.status == "ready"
    assert [c.status for c in written.components.values()] == ["ready", "ready"]
    assert sup.messages[0].startswith("[1/2] starting first")  # type: ignore[attr-defined]
    sup.stop_all()
    assert not any(st.pid_alive(p) for p in pids)
    assert st.read(tmp_path).status == "stopped"
    stops = [m for m in sup.messages if m.startswith("stopping")]  # type: ignore[attr-defined]
    assert stops[0].startswith("stopping second"), "stopped in reverse order"


def test_component_dying_at_start_reports_its_log_and_stops_the_rest(tmp_path: Path) -> None:
    crash = _python(
        "broken",
        "import sys; print('bad config: field x'); sys.exit(3)",
        ready_url="http://127.0.0.1:1/",
    )
    first = _http_server("first")
    sup = _supervisor(tmp_path, [first, crash])
    with pytest.raises(ReadinessError) as info:
        sup.start_all()
    message = str(info.value)
    assert "broken exited with code 3" in message
    assert "bad config: field x" in message
    assert not st.pid_alive(sup.state.components["first"].pid)
    assert st.read(tmp_path).status == "failed"


def test_component_never_ready_times_out_with_its_log(tmp_path: Path) -> None:
    spec = _python(
        "silent",
        "import time; print('waiting forever'); time.sleep(60)",
        ready_url="http://127.0.0.1:1/",
    )
    spec = ComponentSpec(**{**spec.__dict__, "startup_timeout": 1.5})
    sup = _supervisor(tmp_path, [spec])
    with pytest.raises(ReadinessError, match=r"not ready .* after 2s") as info:
        sup.start_all()
    assert "waiting forever" in str(info.value)
    assert not st.pid_alive(sup.state.components["silent"].pid)


def test_component_ignoring_term_is_killed_after_the_timeout(tmp_path: Path) -> None:
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"
    sup = _supervisor(tmp_path, [_python("stubborn", code)], stop_timeout=1.0)
    sup.start_all()
    pid = sup.state.components["stubborn"].pid
    started = time.monotonic()
    sup.stop_all()
    assert not st.pid_alive(pid)
    assert time.monotonic() - started < 10
    assert any("killing it" in m for m in sup.messages)  # type: ignore[attr-defined]


def test_helpers_in_a_components_process_group_are_stopped_too(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(120)"
    )
    sup = _supervisor(tmp_path, [_python("parent", code)])
    sup.start_all()
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pid_file.read_text())
    assert st.pid_alive(child)
    sup.stop_all()
    assert not st.pid_alive(child)


class _FakeProcess:
    """Implements the ``Process`` interface; exits when told to."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.code: int | None = None
        self.signals: list[int] = []

    def poll(self) -> int | None:
        return self.code

    def wait(self, timeout: float | None = None) -> int:
        if self.code is None:
            self.code = -signal.SIGTERM
        return self.code


class _FakeLauncher:
    def __init__(self) -> None:
        self.launched: list[_FakeProcess] = []

    def launch(self, spec: ComponentSpec, log: IO[bytes]) -> Process:
        log.write(f"{spec.name} says hello\n".encode())
        proc = _FakeProcess(pid=10_000 + len(self.launched))
        self.launched.append(proc)
        return proc

    def signal(self, process: Process, sig: int) -> None:
        assert isinstance(process, _FakeProcess)
        process.signals.append(sig)


def test_a_component_that_dies_later_is_reported_with_its_log(tmp_path: Path) -> None:
    launcher = _FakeLauncher()
    specs = [ComponentSpec(n, ["x"], {}, f"http://{n}/ready", (), "-") for n in ("a", "b")]
    sup = _supervisor(tmp_path, specs, launcher=launcher, ready_check=lambda _url: True)
    sup.start_all()
    assert sup.check_once() == []
    launcher.launched[1].code = 2
    (report,) = sup.check_once()
    assert report.startswith("b exited with code 2")
    assert "b says hello" in report
    written = st.read(tmp_path)
    assert written.status == "degraded"
    assert written.components["b"].status == "exited"
    assert written.components["a"].status == "ready"
    sup.stop_all()
    assert signal.SIGTERM in launcher.launched[0].signals


def test_real_launcher_puts_each_component_in_its_own_group(tmp_path: Path) -> None:
    import os

    spec = _python("grouped", "import time; time.sleep(30)")
    with (tmp_path / "log").open("wb") as log:
        proc = SubprocessLauncher().launch(spec, log)
    try:
        assert os.getpgid(proc.pid) == proc.pid
    finally:
        SubprocessLauncher().signal(proc, signal.SIGKILL)
        proc.wait(timeout=5)


def test_a_stage_starts_together_and_the_next_waits_for_it(tmp_path: Path) -> None:
    events: list[str] = []

    class RecordingLauncher(_FakeLauncher):
        def launch(self, spec: ComponentSpec, log: IO[bytes]) -> Process:
            events.append(f"launch {spec.name}")
            return super().launch(spec, log)

    def ready(url: str) -> bool:
        events.append(f"ready {url}")
        return True

    # Stages, not list positions, decide: d is listed after c but starts with a and b.
    specs = [
        ComponentSpec(n, ["x"], {}, n, (), "-", stage=stage)
        for n, stage in (("a", 0), ("b", 0), ("c", 1), ("d", 0))
    ]
    sup = _supervisor(tmp_path, specs, launcher=RecordingLauncher(), ready_check=ready)
    sup.start_all()
    assert events == [
        "launch a",
        "launch b",
        "launch d",
        "ready a",
        "ready b",
        "ready d",
        "launch c",
        "ready c",
    ]
