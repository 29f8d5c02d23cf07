"""Which part gave out, decided from a failed step's own record."""

from __future__ import annotations

from ramp_samples import step

from kansoku import conventions as cv
from kansoku.bench import limits
from kansoku.bench.ramp import LOADGEN, Criteria, Rates

MIX = Rates(20_000, 20_000, 10_000)
CRITERIA = Criteria()
IDLE_STORES = {cv.PROMETHEUS: 0.1, cv.JAEGER: 0.1, cv.VICTORIALOGS: 0.1}


def _limit(record: object) -> limits.Limit | None:
    return limits.diagnose(record, 2, CRITERIA)  # type: ignore[arg-type]


def test_a_passing_step_has_no_limit() -> None:
    assert _limit(step(MIX)) is None


def test_a_generator_near_a_full_core_that_sent_too_little_is_the_limit() -> None:
    record = step(
        Rates(points=200_000),
        sent_ratio=0.7,
        cores={cv.COLLECTOR: 0.4, LOADGEN: 0.97, **IDLE_STORES},
    )
    found = _limit(record)
    assert found is not None
    assert found.part == limits.LOAD_GENERATOR
    assert "generator at 0.97 core" in found.evidence


def test_a_growing_queue_in_front_of_a_busy_store_blames_the_store() -> None:
    record = step(
        Rates(spans=60_000),
        drain=None,
        stored_ratio=0.95,
        cores={cv.COLLECTOR: 0.5, **IDLE_STORES, cv.JAEGER: 0.95},
        backlogs={"spans": [0, 0, 10, 50, 90, 150, 300, 450, 600]},
    )
    found = _limit(record)
    assert found is not None
    assert found.part == cv.JAEGER
    assert "backlog 600 at most" in found.evidence


def test_a_growing_queue_in_front_of_an_idle_store_blames_the_collectors_sending() -> None:
    record = step(
        Rates(logs=40_000),
        drain=80.0,
        cores={cv.COLLECTOR: 0.5, **IDLE_STORES},
        backlogs={"logs": [0, 0, 10, 50, 90, 150, 300, 450, 600]},
    )
    found = _limit(record)
    assert found is not None
    assert found.part == limits.COLLECTOR_QUEUE


def test_prometheus_late_on_a_saturated_machine_where_it_is_busiest_is_the_limit() -> None:
    record = step(
        Rates(points=100_000),
        drain=50.0,
        machine=1.9,
        cores={cv.COLLECTOR: 0.5, **IDLE_STORES, cv.PROMETHEUS: 0.7, LOADGEN: 0.4},
    )
    found = _limit(record)
    assert found is not None
    assert found.part == cv.PROMETHEUS


def test_refusals_by_a_collector_busiest_on_a_saturated_machine_blame_its_cpu() -> None:
    record = step(MIX, refused=1_200, machine=1.95, cores={cv.COLLECTOR: 1.2, **IDLE_STORES})
    record.signals["spans"].refused = 1_200
    record.problems = ["spans: 1,200 refused"]
    found = _limit(record)
    assert found is not None
    assert found.part == limits.COLLECTOR_CPU
    assert "memory limiter refused 1,200 items" in found.evidence


def test_refusals_by_a_collector_with_cpu_to_spare_blame_what_it_holds() -> None:
    # As measured at 120,000 points/s: 144,000 refused with the collector at 0.30 core.
    record = step(
        Rates(points=120_000),
        sent_ratio=0.9,
        refused=144_000,
        machine=1.2,
        cores={cv.COLLECTOR: 0.3, **IDLE_STORES},
    )
    found = _limit(record)
    assert found is not None
    assert found.part == limits.COLLECTOR_QUEUE
    assert "collector at 0.30 core" in found.evidence


def test_a_saturated_machine_where_the_collector_is_busiest_blames_the_collector() -> None:
    record = step(
        MIX,
        sent_ratio=0.8,
        machine=1.95,
        cores={cv.COLLECTOR: 1.1, **IDLE_STORES, LOADGEN: 0.5},
    )
    found = _limit(record)
    assert found is not None
    assert found.part == limits.COLLECTOR_CPU
    assert "busiest otel-collector at 1.10 core" in found.evidence


def test_a_slow_source_on_an_idle_machine_with_the_collector_busiest_blames_it() -> None:
    record = step(MIX, sent_ratio=0.8, machine=1.0, cores={cv.COLLECTOR: 0.6, **IDLE_STORES})
    found = _limit(record)
    assert found is not None
    assert found.part == limits.COLLECTOR_CPU
    assert "below the asked rate with the collector busiest" in found.evidence


def test_a_slow_source_on_a_machine_held_by_others_is_not_blamed_on_an_idle_collector() -> None:
    # As measured on a busy machine: generator behind, the collector at 0.08 core.
    record = step(
        Rates(spans=10_000),
        sent_ratio=0.9,
        machine=2.0,
        cores={cv.COLLECTOR: 0.08, **IDLE_STORES, LOADGEN: 0.06},
    )
    found = _limit(record)
    assert found is not None
    assert found.part == limits.MACHINE


def test_a_machine_held_by_other_work_is_named_as_such() -> None:
    record = step(MIX, sent_ratio=0.8, machine=1.95, cores={cv.COLLECTOR: 0.2, **IDLE_STORES})
    record.usage[LOADGEN].cores = 0.3
    found = _limit(record)
    assert found is not None
    assert found.part == limits.MACHINE
    assert "outside" in found.evidence


def test_annotate_writes_the_limit_into_the_step() -> None:
    record = step(Rates(points=200_000), sent_ratio=0.5, cores={LOADGEN: 1.0, **IDLE_STORES})
    limits.annotate(record, 2, CRITERIA)
    assert record.limit == limits.LOAD_GENERATOR
    ok = step(MIX)
    limits.annotate(ok, 2, CRITERIA)
    assert ok.limit == ""
