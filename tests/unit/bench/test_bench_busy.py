"""The busy-machine runner: its loads really run, and nothing of them is left afterwards."""

from __future__ import annotations

import sys
from pathlib import Path

import psutil
import pytest

from kansoku.bench import busy
from kansoku.verify.poll import poll_until


def _grown(path: Path) -> int | None:
    size = path.stat().st_size if path.exists() else 0
    return size if size > 0 else None


def test_the_load_spins_writes_and_is_gone_after_exit(tmp_path: Path) -> None:
    with busy.BusyLoad(cpu=2, scratch_parent=str(tmp_path)) as load:
        pids = [p.pid for p in load.procs]
        assert load.alive() == 3
        scratch = load.scratch_file
        assert scratch is not None
        poll_until(lambda: _grown(scratch), what="the disk writer writing", timeout=60)
        loop = psutil.Process(pids[0])
        poll_until(
            lambda: loop.cpu_times().user > 0.2 or None, what="a CPU loop spinning", timeout=60
        )
    assert not any(psutil.pid_exists(pid) and _running(pid) for pid in pids)
    assert list(tmp_path.iterdir()) == []


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_run_returns_the_commands_exit_code_and_stops_the_load(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = busy.run(
        [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('x'); raise SystemExit(3)"],
        cpu=1,
        disk=False,
    )
    assert code == 3
    assert marker.read_text() == "x"


def test_a_negative_cpu_count_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="--cpu: expected a number of CPU loops >= 0, got -1"):
        busy.BusyLoad(cpu=-1)


def test_main_without_a_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        busy.main(["--cpu", "1", "--"])
    assert exit_.value.code == 2
    assert "no command given" in capsys.readouterr().err
