"""A background install runs ``kansoku tools install`` in a child process: its failure is a
ToolError with the end of its log, and ``stop`` ends it."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from kansoku.errors import ToolError
from kansoku.tools.background import LOWEST_NICE, BackgroundInstall
from kansoku.verify.poll import poll_until


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _slow_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BackgroundInstall:
    """An install started whose "binary" takes 60 s to answer its version check (lookup's
    timeout is 20 s), so it is still running."""
    kwok = _script(tmp_path / "kwok", f"{sys.executable} -c 'import time; time.sleep(60)'")
    monkeypatch.setenv("KANSOKU_KWOK_BIN", str(kwok))
    install = BackgroundInstall(["kwok"], tmp_path / "build.log")
    install.start()
    return install


def test_a_failed_install_is_a_tool_error_with_its_log(tmp_path: Path) -> None:
    install = BackgroundInstall(["no-such-tool"], tmp_path / "build.log")
    install.start()
    with pytest.raises(ToolError, match="no pinned binary named no-such-tool") as caught:
        install.wait(progress=lambda _: None)
    assert "exit code 3" in str(caught.value)


def test_a_finished_install_returns_and_keeps_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kwok = _script(tmp_path / "kwok", "echo 'kwok version v0.8.0'")
    monkeypatch.setenv("KANSOKU_KWOK_BIN", str(kwok))
    install = BackgroundInstall(["kwok"], tmp_path / "build.log")
    install.start()
    install.wait(progress=lambda _: None)
    assert str(kwok) in (tmp_path / "build.log").read_text()


def test_stop_ends_an_install_still_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install = _slow_install(tmp_path, monkeypatch)
    install.stop()
    assert install.process is not None
    assert install.process.returncode is not None
    assert install.process.returncode < 0  # ended by a signal, not finished


def test_wait_returns_once_what_the_caller_needs_is_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The install runs on (its "binary" takes 60 s to answer); the caller's part is ready.
    install = _slow_install(tmp_path, monkeypatch)
    try:
        install.wait(progress=lambda _: None, ready=lambda: True)
        assert install.process is not None
        assert install.process.poll() is None  # still running: the wait did not wait it out
    finally:
        install.stop()


def test_the_install_runs_at_the_lowest_priority_in_its_own_scheduler_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its own session is its own autogroup where the kernel has them: an equal share of the
    # CPU whatever the processes' nice, unless the group's nice is lowered too.
    install = _slow_install(tmp_path, monkeypatch)
    try:
        assert install.process is not None
        pid = install.process.pid
        assert os.getsid(pid) == pid  # a session of its own
        # `nice` sets it just after Popen returns, then runs the install in its place.
        poll_until(
            lambda: os.getpriority(os.PRIO_PROCESS, pid) == LOWEST_NICE or None,
            what=f"process {pid} at nice {LOWEST_NICE}",
            timeout=30,
            interval=0.05,
        )
        autogroup = Path(f"/proc/{pid}/autogroup")
        if autogroup.exists():  # a kernel with scheduler autogroups
            assert autogroup.read_text().split()[-1] == str(LOWEST_NICE)
    finally:
        install.stop()
