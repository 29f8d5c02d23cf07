"""Which part gave out at a failed ramp step, decided from what the step measured.

The evidence is the step's own record (``kansoku.bench.ramp.StepRecord``): the generator's
achieved against requested rate and its CPU, each exporter's backlog (the sending queue's size
for Jaeger and VictoriaLogs, the remote-write WAL's lag for Prometheus), the collector's
refusals, each process's CPU and the whole machine's. The rules, in order:

1. the generator sent less than asked and was itself near a full core (it is one Python
   process): ``load-generator``;
2. a signal fell behind at the sink (its backlog grew, or it was stored late or not at all):
   its store if that store was busy (near a core, or the busiest of the stack on a saturated
   machine), else ``collector-queue`` (the exporter's own sending: consumers, requests in
   flight);
3. the collector refused data (its memory limiter: what it holds in batches, queues and the
   WAL reached the limit): ``collector-cpu`` if it was the busiest process on a saturated
   machine, else ``collector-queue``;
4. the machine was saturated: ``machine`` when work outside the stack held more of it than
   the stack did, else the busiest process (``collector-cpu`` for the collector);
5. the generator sent less than asked on a machine with CPU to spare, while the collector was
   the busiest process (it answers too slowly): ``collector-cpu``;
6. otherwise ``unknown``, with the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from kansoku import conventions as cv
from kansoku.bench.ramp import LOADGEN, Criteria, StepRecord, Usage

LOAD_GENERATOR = "load-generator"
COLLECTOR_CPU = "collector-cpu"
COLLECTOR_QUEUE = "collector-queue"
MACHINE = "machine"
UNKNOWN = "unknown"
# The store that takes each signal, by its process name.
STORE_OF = {"spans": cv.JAEGER, "points": cv.PROMETHEUS, "logs": cv.VICTORIALOGS}
LIMITS = (
    LOAD_GENERATOR,
    COLLECTOR_CPU,
    COLLECTOR_QUEUE,
    cv.PROMETHEUS,
    cv.JAEGER,
    cv.VICTORIALOGS,
    MACHINE,
    UNKNOWN,
)

GENERATOR_SATURATED = 0.85  # cores: an asyncio loop in one process reaches about one
STORE_BUSY = 0.8  # cores
MACHINE_SATURATED = 0.9  # share of all cores busy


@dataclass(frozen=True)
class Limit:
    part: str
    evidence: str


def _cores(step: StepRecord, name: str) -> float:
    usage = step.usage.get(name)
    return usage.cores if usage else 0.0


def _busiest(step: StepRecord) -> tuple[str, float]:
    name = max(step.usage, key=lambda n: step.usage[n].cores, default="")
    return name, _cores(step, name)


def _saturated(step: StepRecord, cpus: int) -> bool:
    return step.machine_cores >= MACHINE_SATURATED * cpus


def _behind_at_source(step: StepRecord, criteria: Criteria) -> list[str]:
    return [
        s
        for s, c in step.signals.items()
        if c.achieved(step.seconds) < criteria.min_rate_ratio * c.requested
    ]


def _behind_at_sink(step: StepRecord, criteria: Criteria) -> list[str]:
    late = []
    for signal, count in step.signals.items():
        backlog = step.backlogs.get(signal)
        if (
            count.lost
            or count.drain_seconds is None
            or count.drain_seconds > criteria.max_drain_seconds
            or (backlog is not None and backlog.growing(criteria.backlog_floor))
        ):
            late.append(signal)
    return late


def _sink_limit(step: StepRecord, signal: str, cpus: int) -> Limit:
    store = STORE_OF[signal]
    cores = _cores(step, store)
    backlog = step.backlogs.get(signal)
    queued = f"backlog {backlog.peak:,.0f} at most, {backlog.end:,.0f} at end" if backlog else ""
    busiest, _ = _busiest(step)
    if cores >= STORE_BUSY or (_saturated(step, cpus) and busiest == store):
        return Limit(store, f"{signal} behind; {store} at {cores:.2f} core; {queued}")
    return Limit(
        COLLECTOR_QUEUE,
        f"{signal} behind while {store} had CPU to spare ({cores:.2f} core): the exporter's "
        f"sending is the bound; {queued}",
    )


def _cpu_limit(step: StepRecord, cpus: int) -> Limit | None:
    busiest, cores = _busiest(step)
    stack = sum(u.cores for n, u in step.usage.items())
    others = max(0.0, step.machine_cores - stack)
    machine = f"machine {step.machine_cores:.2f} of {cpus} cores busy, {others:.2f} outside"
    if others > stack:
        return Limit(MACHINE, f"{machine}: other work held most of the CPU")
    part = {cv.COLLECTOR: COLLECTOR_CPU, LOADGEN: LOAD_GENERATOR}.get(busiest, busiest)
    return Limit(part, f"{machine}; busiest {busiest} at {cores:.2f} core") if part else None


def diagnose(step: StepRecord, cpus: int, criteria: Criteria) -> Limit | None:
    """The part that gave out at ``step`` (None when the step passed), with its evidence."""
    if step.ok:
        return None
    source = _behind_at_source(step, criteria)
    gen = _cores(step, LOADGEN)
    if source and gen >= GENERATOR_SATURATED and step.collector_refused == 0:
        return Limit(
            LOAD_GENERATOR, f"{', '.join(source)} below the asked rate; generator at {gen:.2f} core"
        )
    sink = _behind_at_sink(step, criteria)
    if sink:
        return _sink_limit(step, sink[0], cpus)
    return _collector_or_machine(step, cpus, source)


def _collector_or_machine(step: StepRecord, cpus: int, source: list[str]) -> Limit:
    """Rules 3 to 6: the collector's refusals, the machine's CPU, a slow collector."""
    collector = _cores(step, cv.COLLECTOR)
    if step.collector_refused:
        busy = _saturated(step, cpus) and _busiest(step)[0] == cv.COLLECTOR
        return Limit(
            COLLECTOR_CPU if busy else COLLECTOR_QUEUE,
            f"memory limiter refused {step.collector_refused:,.0f} items; collector at "
            f"{collector:.2f} core, RSS {step.usage.get(cv.COLLECTOR, Usage()).rss_max_mib:.0f} "
            f"MiB at most; machine {step.machine_cores:.2f} of {cpus} cores busy",
        )
    found = _cpu_limit(step, cpus) if _saturated(step, cpus) else None
    if found:
        return found
    if source and _busiest(step)[0] == cv.COLLECTOR:
        return Limit(
            COLLECTOR_CPU,
            f"{', '.join(source)} below the asked rate with the collector busiest, at "
            f"{collector:.2f} core",
        )
    return Limit(UNKNOWN, "; ".join(step.problems))


def annotate(step: StepRecord, cpus: int, criteria: Criteria) -> None:
    """Fill in ``step.limit`` and ``step.evidence`` from the step's own record."""
    found = diagnose(step, cpus, criteria)
    step.limit, step.evidence = (found.part, found.evidence) if found else ("", "")
