"""The ramp's cost curve as a PNG, drawn from the JSON ``kansoku bench capacity --ramp`` wrote.

Four panels against the items/s the collector accepted at each step, one line per phase
(spans alone, points alone, log records alone, the three mixed); a failed step is drawn as a
cross: the collector's cores, its CPU per 1,000 items, each store's cores (the store of the
phase's signal, and all three in the mixed phase), and the resident memory of the collector
and the stores. matplotlib is an optional extra (``kansoku[plot]``), imported only here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kansoku import conventions as cv
from kansoku.errors import ConfigError, ToolError

SCENARIO = "capacity-ramp"
STORES = {"spans": (cv.JAEGER,), "points": (cv.PROMETHEUS,), "logs": (cv.VICTORIALOGS,)}
ALL_STORES = (cv.JAEGER, cv.PROMETHEUS, cv.VICTORIALOGS)


@dataclass
class Series:
    """One line: x (items/s accepted), y, and which points are failed steps."""

    label: str
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    failed: list[bool] = field(default_factory=list)

    def add(self, x: float, y: float, failed: bool) -> None:
        self.x.append(x)
        self.y.append(y)
        self.failed.append(failed)


def load_ramp(path: Path) -> dict[str, Any]:
    """The ramp record in a bench JSON file (the last capacity-ramp result in it)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(str(path), "", f"a bench JSON file ({exc})") from exc
    ramps = [r for r in doc.get("results", []) if r.get("scenario") == SCENARIO]
    if not ramps or "ramp" not in ramps[-1].get("details", {}):
        raise ConfigError(str(path), "results", f"a {SCENARIO} result with details.ramp")
    ramp: dict[str, Any] = ramps[-1]["details"]["ramp"]
    ramp["machine"] = doc.get("machine", {})
    ramp["command"] = doc.get("command", "")
    return ramp


def _cores(step: dict[str, Any], name: str) -> float:
    return float(step["usage"].get(name, {}).get("cores", 0.0))


def _rss(step: dict[str, Any], name: str) -> float:
    return float(step["usage"].get(name, {}).get("rss_max_mib", 0.0))


def series(ramp: dict[str, Any]) -> dict[str, list[Series]]:
    """Every panel's lines, by panel name: pure data, so it is tested without matplotlib."""
    panels: dict[str, list[Series]] = {"collector": [], "cost": [], "stores": [], "rss": []}
    for phase in ramp["phases"]:
        name = phase["name"]
        stores = STORES.get(name, ALL_STORES)
        lines = {
            "collector": [Series(name)],
            "cost": [Series(name)],
            "stores": [Series(f"{s} ({name})") for s in stores],
            "rss": [Series(f"collector ({name})"), *(Series(f"{s} ({name})") for s in stores)],
        }
        for step in phase["steps"]:
            x, bad = float(step["items_per_second"]), not step["ok"]
            lines["collector"][0].add(x, _cores(step, cv.COLLECTOR), bad)
            lines["cost"][0].add(x, float(step["collector_cpu_ms_per_1k"]), bad)
            for line, store in zip(lines["stores"], stores, strict=True):
                line.add(x, _cores(step, store), bad)
            for line, proc in zip(lines["rss"], (cv.COLLECTOR, *stores), strict=True):
                line.add(x, _rss(step, proc), bad)
        for panel, found in lines.items():
            panels[panel].extend(found)
    return panels


_TITLES = {
    "collector": ("collector CPU", "cores"),
    "cost": ("collector CPU per 1,000 items", "ms CPU / 1,000 items"),
    "stores": ("store CPU", "cores"),
    "rss": ("resident memory (max)", "MiB"),
}


def _subtitle(ramp: dict[str, Any]) -> str:
    machine = ramp.get("machine", {})
    loads = [s["load_average"] for p in ramp["phases"] for s in p["steps"]]
    span = [x for pair in loads for x in pair] or [0.0]
    return (
        f"{machine.get('cpus', '?')} cores, {ramp['step_seconds']:.0f} s steps; "
        f"load average {min(span):.1f}-{max(span):.1f} during the run"
    )


def draw(ramp: dict[str, Any], out: Path) -> Path:
    """Write the four-panel PNG to ``out``."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ToolError(
            "matplotlib is missing: install the plot extra (uv sync --extra plot)"
        ) from exc
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import StrMethodFormatter

    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    for ax, (panel, lines) in zip(axes.flat, series(ramp).items(), strict=True):
        title, unit = _TITLES[panel]
        for line in lines:
            (drawn,) = ax.plot(line.x, line.y, marker="o", label=line.label)
            bad = [(x, y) for x, y, f in zip(line.x, line.y, line.failed, strict=True) if f]
            if bad:
                ax.scatter(*zip(*bad, strict=True), marker="x", s=120, color=drawn.get_color())
        ax.set_title(title)
        ax.set_xlabel("items/s accepted (x: failed step)")
        ax.set_ylabel(unit)
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.grid(visible=True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(f"kansoku capacity ramp: {_subtitle(ramp)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
