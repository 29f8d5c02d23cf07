"""Run the real ``promtool`` on generated rules and their unit tests."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kansoku.tools.lookup import resolve


@dataclass(frozen=True)
class Result:
    """One promtool run: what was run, whether it passed, and what it said."""

    args: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _run(args: Sequence[str], cwd: Path, timeout: float) -> Result:
    binary = str(resolve("promtool").path)  # ToolError when it was never built
    proc = subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Result(tuple(args), proc.returncode, proc.stdout + proc.stderr)


def check_rules(rule_files: Sequence[Path], *, timeout: float = 120) -> Result:
    """``promtool check rules`` (syntax, types, duplicate names)."""
    cwd = rule_files[0].parent
    return _run(["check", "rules", *(str(p) for p in rule_files)], cwd, timeout)


def run_tests(test_files: Sequence[Path], *, timeout: float = 900) -> Result:
    """``promtool test rules`` (the generated unit tests; rule paths resolve per test file)."""
    cwd = test_files[0].parent
    return _run(["test", "rules", *(str(p) for p in test_files)], cwd, timeout)
