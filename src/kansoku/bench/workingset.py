"""Each container's working set and CPU, as the kubelet reports them (``/metrics/resource``,
the figures metrics-server and the OOM killer's cgroup both go by), set against the
container's memory request and limit.

Replicas of one workload are folded into one line per (namespace, workload, container),
keeping the largest working set: a request must hold the busiest replica.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kansoku.bench.report import Row
from kansoku.cluster.operations import quantity

_SAMPLE = re.compile(
    r"^(container_memory_working_set_bytes|container_cpu_usage_seconds_total)"
    r"\{([^}]*)\}\s+(\S+)"
)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_NAME_LABEL = "app.kubernetes.io/name"

Key = tuple[str, str, str]  # (namespace, pod, container)


@dataclass(frozen=True)
class Sample:
    """One reading of every container: working set in bytes, CPU seconds used so far."""

    working_set: dict[Key, float]
    cpu_seconds: dict[Key, float]


def parse(text: str) -> Sample:
    """The two container series of a kubelet's ``/metrics/resource`` text."""
    memory: dict[Key, float] = {}
    cpu: dict[Key, float] = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match:
            continue
        labels = dict(_LABEL.findall(match.group(2)))
        key = (labels.get("namespace", ""), labels.get("pod", ""), labels.get("container", ""))
        target = memory if match.group(1).startswith("container_memory") else cpu
        target[key] = float(match.group(3))
    return Sample(memory, cpu)


@dataclass(frozen=True)
class Container:
    """Where one container belongs and what it asked for (bytes; None: not set)."""

    workload: str
    request: float | None
    limit: float | None


def containers(pods: Iterable[dict[str, Any]]) -> dict[Key, Container]:
    """Every container of ``pods`` (``kubectl get pods -o json`` items)."""
    out = {}
    for pod in pods:
        meta = pod["metadata"]
        workload = (meta.get("labels") or {}).get(_NAME_LABEL, meta["name"])
        for c in pod["spec"]["containers"]:
            resources = c.get("resources", {})
            request = resources.get("requests", {}).get("memory")
            limit = resources.get("limits", {}).get("memory")
            out[(meta["namespace"], meta["name"], c["name"])] = Container(
                workload,
                quantity(request) if request else None,
                quantity(limit) if limit else None,
            )
    return out


def _share(value: float, bound: float | None) -> str:
    return f"{value / bound:.0%}" if bound else "unset"


def rows(
    phase: str, before: Sample, after: Sample, seconds: float, known: dict[Key, Container]
) -> list[Row]:
    """Per workload container: the largest working set of ``after`` against request and
    limit, and the CPU used between the samples, in cores."""
    best: dict[tuple[str, str, str], tuple[float, float, Container]] = {}
    for key, working_set in after.working_set.items():
        container = known.get(key)
        if container is None:
            continue
        used = after.cpu_seconds.get(key, 0.0) - before.cpu_seconds.get(key, 0.0)
        cores = max(used, 0.0) / seconds if seconds > 0 else 0.0
        line = (key[0], container.workload, key[2])
        if line not in best or working_set > best[line][0]:
            best[line] = (working_set, cores, container)
    out = []
    for (namespace, workload, name), (working_set, cores, c) in sorted(best.items()):
        note = (
            f"{_share(working_set, c.request)} of request, {_share(working_set, c.limit)} of limit"
        )
        out.append(
            Row(
                f"{namespace}/{workload}/{name} working set {phase}",
                working_set / 2**20,
                "MiB",
                c.limit / 2**20 if c.limit else None,
                note=note,
            )
        )
        out.append(Row(f"{namespace}/{workload}/{name} CPU {phase}", cores, "cores"))
    return out
