"""A helper process given up on before its report is killed, reaped and its pipes closed."""

from __future__ import annotations

import pytest

from kansoku.bench.child import ReportingChild


def test_stop_kills_reaps_and_closes_a_child_still_running() -> None:
    child = ReportingChild("http.server", "0", "a server that never ends")
    assert child.proc.poll() is None
    child.stop()
    child.stop()  # again, after a report or a first stop: nothing left to do
    assert child.proc.returncode == -9
    assert child.proc.stdout is not None
    assert child.proc.stderr is not None
    assert child.proc.stdout.closed
    assert child.proc.stderr.closed


def _give_up(child: ReportingChild) -> None:
    with child:
        assert child.proc.poll() is None
        raise RuntimeError("gave up")


def test_a_child_used_as_a_context_is_reaped_when_the_block_fails() -> None:
    child = ReportingChild("http.server", "0", "a server that never ends")
    with pytest.raises(RuntimeError, match="gave up"):
        _give_up(child)
    assert child.proc.returncode == -9
    assert child.proc.stdout is not None
    assert child.proc.stdout.closed
