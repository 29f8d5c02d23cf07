"""The ramp as figures: the zero-loss ceiling of each phase, its limit, its cost and sizing.

The sizing reads the collector's CPU request and the HPA's utilisation target from the
Kubernetes base (``deploy/kubernetes/base``), the one copy of both: a replica is scaled out
when its CPU passes ``target * request``, so the items/s it takes before that are the measured
items per collector core-second times ``target * request``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kansoku import conventions as cv
from kansoku import locations
from kansoku.bench.ramp import PhaseRecord, RampRecord, StepRecord
from kansoku.bench.report import Row, ScenarioResult

_BASE = Path("deploy") / "kubernetes" / "base"


@dataclass(frozen=True)
class Autoscaling:
    """What the HPA scales the collector on."""

    target_utilization: float  # 0.7 for 70%
    request_cores: float  # the collector container's CPU request


def _cores(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def autoscaling(root: Path | None = None) -> Autoscaling:
    """The collector's HPA target and CPU request, from the Kubernetes base."""
    base = (root or locations.project_root()) / _BASE
    hpa = next(
        d
        for d in yaml.safe_load_all((base / "otel-collector-hpa.yaml").read_text())
        if d and d["kind"] == "HorizontalPodAutoscaler"
    )
    target = hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] / 100
    deployment = yaml.safe_load((base / "otel-collector-deployment.yaml").read_text())
    container = next(
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == cv.COLLECTOR
    )
    return Autoscaling(target, _cores(str(container["resources"]["requests"]["cpu"])))


@dataclass(frozen=True)
class Sizing:
    """Items per second one collector core takes, and one replica before the HPA adds one."""

    phase: str
    items_per_second: float  # at the highest zero-loss step
    collector_cores: float
    per_core: float
    per_core_at_target: float
    per_replica_at_target: float


def sizing(record: RampRecord, scaling: Autoscaling) -> list[Sizing]:
    """One line per phase that passed a step, from its highest zero-loss step."""
    out = []
    for phase in record.phases:
        best = phase.highest_ok
        if best is None:
            continue
        cores = best.usage[cv.COLLECTOR].cores if cv.COLLECTOR in best.usage else 0.0
        if cores <= 0:
            continue
        per_core = best.items_per_second / cores
        out.append(
            Sizing(
                phase.name,
                best.items_per_second,
                cores,
                per_core,
                per_core * scaling.target_utilization,
                per_core * scaling.target_utilization * scaling.request_cores,
            )
        )
    return out


def _phase_rows(phase: PhaseRecord) -> list[Row]:
    best, stop = phase.highest_ok, phase.stopped_at
    rows = [
        Row(
            f"{phase.name}: highest zero-loss step",
            best.items_per_second if best else 0.0,
            "items/s",
            note=best.rates.label() if best else "no step passed",
        )
    ]
    if stop is not None:
        rows.append(
            Row(
                f"{phase.name}: first failed step",
                stop.items_per_second,
                "items/s",
                note=f"limit {stop.limit}: {stop.evidence}",
            )
        )
    else:
        rows.append(Row(f"{phase.name}: no step failed", len(phase.steps), "steps"))
    return rows


def _cost_rows(step: StepRecord) -> list[Row]:
    name = f"{step.phase} {step.rates.label()}"
    rows = [
        Row(f"{name}: collector", step.cpu_ms_per_thousand(cv.COLLECTOR), "ms CPU/1k items"),
    ]
    for store, signal in (
        (cv.JAEGER, "spans"),
        (cv.PROMETHEUS, "points"),
        (cv.VICTORIALOGS, "logs"),
    ):
        if signal in step.signals:
            rows.append(
                Row(f"{name}: {store}", step.cpu_ms_per_thousand(store, signal), "ms CPU/1k items")
            )
    return rows


def result(record: RampRecord, scaling: Autoscaling | None = None) -> ScenarioResult:
    """The ramp as a bench result: ceilings and limits, then cost per step, then sizing."""
    out = ScenarioResult("capacity-ramp")
    for phase in record.phases:
        out.add(*_phase_rows(phase))
    for phase in record.phases:
        for step in phase.steps:
            out.add(*_cost_rows(step))
    scaling = scaling or autoscaling()
    lines = sizing(record, scaling)
    for line in lines:
        out.add(
            Row(
                f"{line.phase}: items/s per collector core at the "
                f"{scaling.target_utilization:.0%} HPA target",
                line.per_core_at_target,
                "items/s",
                note=f"{line.per_replica_at_target:,.0f}/s per replica at a "
                f"{scaling.request_cores * 1000:.0f}m request",
            )
        )
    out.details["ramp"] = record.to_json()
    out.details["sizing"] = [_sizing_json(line) for line in lines]
    out.details["autoscaling"] = {
        "target_utilization": scaling.target_utilization,
        "request_cores": scaling.request_cores,
    }
    return out


def _sizing_json(line: Sizing) -> dict[str, Any]:
    return {k: getattr(line, k) for k in Sizing.__dataclass_fields__}
