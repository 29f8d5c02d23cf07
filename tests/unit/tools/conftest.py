"""What the tools' unit tests share."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from kansoku.tools import build


@pytest.fixture
def build_steps(monkeypatch: pytest.MonkeyPatch) -> list[Sequence[str]]:
    """The argv of every step a build runs, recorded instead of run (``go`` as ``go``)."""
    steps: list[Sequence[str]] = []

    def record(
        _tool: object, _step: str, argv: Sequence[str], *_args: object, **_kw: object
    ) -> None:
        steps.append(argv)

    monkeypatch.setattr(build, "_run_step", record)
    monkeypatch.setattr(build, "_go", lambda: "go")
    return steps
