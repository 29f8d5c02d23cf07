"""Bench results: rows of figures with their targets, a table for people, JSON for files.

Targets are stated, never asserted: a row says whether its figure met the target and the
reader decides what that means on the machine described in ``machine()``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from kansoku.stack.table import render


@dataclass(frozen=True)
class Row:
    """One figure. ``limit`` is the target; ``higher_is_better`` says which side meets it."""

    metric: str
    value: float
    unit: str
    limit: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.limit is None:
            return None
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit

    def target_text(self) -> str:
        if self.limit is None:
            return ""
        return f"{'>=' if self.higher_is_better else '<='} {_fmt(self.limit)}"


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e12:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


@dataclass
class ScenarioResult:
    scenario: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)

    def table(self) -> str:
        body = [
            [
                r.metric,
                _fmt(r.value),
                r.unit,
                r.target_text(),
                {True: "met", False: "MISSED", None: ""}[r.met],
                r.note,
            ]
            for r in self.rows
        ]
        return f"== {self.scenario} ==\n" + render(
            ["figure", "value", "unit", "target", "", "note"], body
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for row, out in zip(self.rows, data["rows"], strict=True):
            out["met"] = row.met
        return data


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def write_json(path: Path, results: list[ScenarioResult], command: list[str]) -> None:
    """All results of one bench invocation, with the machine and the command."""
    doc = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(command),
        "machine": machine(),
        "results": [r.to_json() for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
