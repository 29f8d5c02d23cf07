"""The collector gateway's limits and faults on real containers, with the shop's load running:

- a collector pod deleted under steady OTLP load from inside the cluster leaves the Service
  at once, drains through its preStop sleep, then stops, losing at most its last batch
  (measured: none in one run, one request of 100 spans in another; see _loss_bound);
- a rolling restart of the collector during the shop's own load fails no shop request and
  loses at most each old pod's last batch;
- a burst above a replica's memory limit is refused by the memory limiter and retried by the
  sender; no collector container is OOM-killed or restarted.

Spans are counted by run id: the load's spans carry a ``service.name`` of their own, and
Jaeger's count of that service (each (trace id, span id) once) is set against what the
collector accepted. The deletion and the restart share one load run (one count at the end),
each asserted and printed. Memory is read where the OOM killer reads it, the container's
cgroup on the host (under the node's own cgroup root), and from the kubelet's
``/metrics/resource``.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from stack_harness import (
    COLLECTOR_OTLP_HTTP,
    COLLECTOR_SELECTOR,
    SHOP,
    STACK,
    InClusterLoad,
    Stack,
    wait_all_ready,
)

from kansoku import conventions as cv
from kansoku import locations
from kansoku.bench import kube, payloads, stored, workingset
from kansoku.bench.otlpload import LoadConfig, LoadResult
from kansoku.cluster import cgroups
from kansoku.cluster.operations import quantity
from kansoku.verify.poll import poll_until

# Run alone, the first test carries the stack's start (see test_dev_overlay.py).
pytestmark = [pytest.mark.realnode, pytest.mark.timeout(1800)]

COLLECTOR = "otel-collector"
COLLECTOR_CONFIG = "config/collector/collector.yaml"
MIB = 2**20
# Steady load: modest, so the 2-core machine keeps up; four traces a body, so every root span
# name is in each and Jaeger can be asked for a quarter of the run at a time.
STEADY_SPANS_PER_SECOND = 500.0
STEADY_SPANS_PER_REQUEST = 100
STEADY_SPANS_PER_TRACE = 25
STEADY_WORKERS = 4  # connections spread over both replicas
STEADY_LONGEST = 600.0  # the load is stopped once the last old pod is gone
SETTLE_QUIET = 20.0  # no new span for longer than the Jaeger exporter's retry interval (10 s)
# Burst: bodies of 20,000 spans (about 4 MiB, half the receiver's limit) back to back from
# many workers, so that more is in flight than a replica's memory limit holds. One span a
# trace: Jaeger's memory store keeps max_traces traces, so the burst cannot fill it.
BURST_SECONDS = 40.0
BURST_WORKERS = 32
BURST_SPANS_PER_REQUEST = 20_000
LOADGEN_SUMMARY = re.compile(r"(\d+) requests, (\d+) failed")


def _workload(stack: Stack, kind: str, name: str) -> dict[str, Any]:
    [obj] = [o for o in stack.objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return obj


def _collector_container(stack: Stack) -> dict[str, Any]:
    container: dict[str, Any] = _workload(stack, "Deployment", COLLECTOR)["spec"]["template"][
        "spec"
    ]["containers"][0]
    return container


def _drain_bounds(stack: Stack) -> tuple[float, float]:
    """The collector's preStop sleep and termination grace period, in seconds."""
    spec = _workload(stack, "Deployment", COLLECTOR)["spec"]["template"]["spec"]
    sleep = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    return float(sleep), float(spec["terminationGracePeriodSeconds"])


def _loss_bound(terminated: int) -> int:
    """What the terminated pods may leave behind: each its last batch (the batch processor's
    timeout of the load's rate), in whole requests. Upstream's persistent queue is not drained
    on shutdown; a batch flushed into it as the pod stops can stay on the pod's emptyDir."""
    config = yaml.safe_load((locations.project_root() / COLLECTOR_CONFIG).read_text())
    timeout = float(config["processors"]["batch"]["timeout"].removesuffix("ms")) / 1000
    requests = math.ceil(STEADY_SPANS_PER_SECOND * timeout / STEADY_SPANS_PER_REQUEST)
    return terminated * requests * STEADY_SPANS_PER_REQUEST


def _ready(pod: dict[str, Any]) -> bool:
    conditions = pod["status"].get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


@dataclass
class CollectorPods:
    """The collector's pods as the test sees them, and when each one seen was first gone."""

    stack: Stack
    started: float = field(default_factory=time.monotonic)
    seen: set[str] = field(default_factory=set)
    gone_at: dict[str, float] = field(default_factory=dict)

    def look(self) -> list[dict[str, Any]]:
        pods = self.stack.pods(STACK, COLLECTOR_SELECTOR)
        names = {p["metadata"]["name"] for p in pods}
        now = time.monotonic()
        for name in self.seen - names:
            self.gone_at.setdefault(name, now)
        self.seen |= names
        return pods

    def serving(self) -> list[str]:
        """Pods not terminating and Ready: the Service's endpoints."""
        return sorted(
            p["metadata"]["name"]
            for p in self.look()
            if not p["metadata"].get("deletionTimestamp") and _ready(p)
        )


Labels = tuple[tuple[str, str], ...]


def _series(url: str, query: str, at: float | None = None) -> dict[Labels, float]:
    """An instant query's values by their (sorted) labels, at ``at`` (epoch s; None: now)."""
    params = {"query": query} | ({"time": f"{at:.3f}"} if at is not None else {})
    resp = httpx.get(f"{url}/api/v1/query", params=params, timeout=30.0)
    resp.raise_for_status()
    return {
        tuple(sorted(r["metric"].items())): float(r["value"][1])
        for r in resp.json()["data"]["result"]
    }


def _prometheus(url: str, query: str, at: float | None = None) -> float:
    """The sum of an instant query's values (0 for an empty answer), at ``at`` (epoch s)."""
    return sum(_series(url, query, at).values())


@dataclass(frozen=True)
class ShopCounts:
    """The shop's requests as its load generator counts them and as its metrics do."""

    loadgen_requests: int
    loadgen_failed: int
    backend_requests: float
    summary_at: float  # epoch s of the load generator's summary line read
    failures: dict[Labels, float]  # shop-backend's 5xx and shop-frontend's failed calls

    def _failed(self, job: str) -> float:
        return sum(v for labels, v in self.failures.items() if ("job", job) in labels)

    @property
    def backend_5xx(self) -> float:
        return self._failed(cv.SHOP_BACKEND)

    @property
    def frontend_to_backend_errors(self) -> float:
        return self._failed(cv.SHOP_FRONTEND)


_BACKEND = f'job="{cv.SHOP_BACKEND}"'
_FRONTEND = f'job="{cv.SHOP_FRONTEND}"'
_SERVER = cv.METRICS_BY_OTEL_NAME["http.server.requests"].prometheus_name
_CLIENT = cv.METRICS_BY_OTEL_NAME["http.client.requests"].prometheus_name


def _loadgen_summary(stack: Stack, after: float) -> tuple[int, int, float] | None:
    """The load generator's own totals (requests, failed), from its last summary line, if
    that line was written after ``after`` (epoch s); summed over its pods; and when the
    latest line read was written (epoch s)."""
    total = [0, 0]
    written = 0.0
    for pod in stack.pods(SHOP, "app.kubernetes.io/name=loadgen"):
        log = stack.node.kubectl(
            "logs", "-n", SHOP, pod["metadata"]["name"], "--timestamps", "--since=100s"
        ).stdout
        lines = [line for line in log.splitlines() if LOADGEN_SUMMARY.search(line)]
        if not lines:
            return None
        # RFC 3339 with nanoseconds ("2026-12-06T23:10:11.123456789Z"): microseconds kept.
        whole, _, fraction = lines[-1].split(" ", 1)[0].rstrip("Z").partition(".")
        stamp = datetime.strptime(f"{whole}.{fraction[:6] or 0}", "%Y-%m-%dT%H:%M:%S.%f")
        stamp = stamp.replace(tzinfo=UTC)
        if stamp.timestamp() < after:
            return None
        match = LOADGEN_SUMMARY.search(lines[-1])
        assert match is not None
        total[0] += int(match.group(1))
        total[1] += int(match.group(2))
        written = max(written, stamp.timestamp())
    return total[0], total[1], written


# The time of the oldest latest sample among the shop's live counter series (those with a
# sample in the last minute). One export's series can reach Prometheus in two write requests
# (the batch processor cuts at 8,192 points, the WAL reader sends what it has read), so one
# series' sample of an export can be there while another's is not: seen, three series of
# shop-frontend's export missing from a read that another series of it had already passed.
_FRESH = f"min(timestamp({_SERVER}{{{_BACKEND}}} or {_CLIENT}{{{_FRONTEND}}}) > time() - 60)"


def _shop_counts(stack: Stack, prometheus: str, after: float, first: bool) -> ShopCounts:
    """The shop's totals from a summary of its load generator written after ``after`` (epoch
    s; it writes one every 30 s) and from the shop's counters in Prometheus, read so that the
    counters' window lies inside the load generator's: at the start (``first``) from the
    first export collected after that summary was written, at the end from the last export
    collected before it (and after ``after``). Errors the counters count are then inside the
    window the load generator counts its failures in. Each is read at a time up to which
    Prometheus holds every sample: every live series has one from the export after it."""
    export = stack.metric_export_seconds(cv.SHOP_BACKEND)
    assert stack.metric_export_seconds(cv.SHOP_FRONTEND) == export
    if first:
        summary = poll_until(
            lambda: _loadgen_summary(stack, after),
            what="a summary of the shop's load generator written after the mark",
            timeout=120,
            interval=3,
        )

        def settled_after() -> float | None:
            held = _prometheus(prometheus, _FRESH)
            at = summary[2] + export + 1
            while at + export <= held:
                if _prometheus(prometheus, _FRESH, at) >= summary[2]:
                    return at
                at += export
            return None

        at = poll_until(
            settled_after,
            what="the shop's counters in Prometheus, from an export collected after that "
            "summary, and the export after it",
            timeout=180,
            interval=3,
        )
    else:

        def settled_before() -> tuple[int, int, float] | None:
            found = _loadgen_summary(stack, after)
            if found is None or _prometheus(prometheus, _FRESH) < found[2] + export:
                return None
            return found if _prometheus(prometheus, _FRESH, found[2]) >= after else None

        summary = poll_until(
            settled_before,
            what="a summary of the shop's load generator with every counter in Prometheus "
            "exported between the mark and it, and once after it",
            timeout=180,
            interval=3,
        )
        at = summary[2]
    errors = f'{_CLIENT}{{{_FRONTEND}, {cv.LABEL_STATUS}=~"5.."}}'
    errors += f' or {_CLIENT}{{{_FRONTEND}, {cv.LABEL_ERROR_TYPE}!=""}}'
    server_5xx = f'{_SERVER}{{{_BACKEND}, {cv.LABEL_STATUS}=~"5.."}}'
    return ShopCounts(
        loadgen_requests=summary[0],
        loadgen_failed=summary[1],
        backend_requests=_prometheus(prometheus, f"sum({_SERVER}{{{_BACKEND}}})", at),
        summary_at=summary[2],
        failures=_series(prometheus, f"{server_5xx} or {errors}", at),
    )


def _failures_between(before: ShopCounts, after: ShopCounts) -> str:
    """The error series that grew from ``before`` to ``after``, one line each."""
    grown = {
        labels: value - before.failures.get(labels, 0.0)
        for labels, value in after.failures.items()
        if value > before.failures.get(labels, 0.0)
    }
    return "".join(
        f"\n    +{n:.0f} " + ",".join(f"{k}={v}" for k, v in labels)
        for labels, n in sorted(grown.items())
    )


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S")


def _backend_errors_since(stack: Stack, since: float) -> str:
    """shop-backend's log lines at WARNING and above since ``since`` (epoch s)."""
    stamp = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines: list[str] = []
    for pod in stack.pods(SHOP, f"app.kubernetes.io/name={cv.SHOP_BACKEND}"):
        log = stack.node.kubectl(
            "logs", "-n", SHOP, pod["metadata"]["name"], "--timestamps", f"--since-time={stamp}"
        ).stdout
        lines += [line for line in log.splitlines() if re.search(r"WARNING|ERROR|Traceback", line)]
    return "".join(f"\n    {line[:400]}" for line in lines[-20:])


@dataclass
class Disruption:
    """One steady load through a pod deletion, then a rolling restart; what each did."""

    service: str
    deleted: str = ""
    deleted_rate: float = 0.0  # the run's spans/s the deleted pod took just before
    replaced_after: float = 0.0  # s from the deletion to two replicas serving again
    rollout_after: float = 0.0  # s from `rollout restart` to the rollout complete
    restarted: list[str] = field(default_factory=list)  # pods serving before the restart
    new_pods: list[str] = field(default_factory=list)
    gone_after: dict[str, float] = field(default_factory=dict)  # s from its deletion or restart
    load_ran_through: bool = False  # the load still ran when the last old pod was gone
    load: LoadResult | None = None
    stored: int = 0  # distinct spans of the run in Jaeger
    copies: int = 0  # spans Jaeger returned more than once
    shop_before: ShopCounts | None = None
    shop_after: ShopCounts | None = None
    mark: float = 0.0  # epoch s: the shop's baseline is read from figures written after it
    restart_at: float = 0.0  # epoch s of `rollout restart`

    @property
    def result(self) -> LoadResult:
        assert self.load is not None
        return self.load

    @property
    def missing(self) -> int:
        return max(self.result.spans.sent - self.stored, 0)

    def spans_line(self) -> str:
        spans = self.result.spans
        return (
            f"  spans of run {self.service}: {spans.sent:,} accepted by the collector "
            f"({spans.sent / self.result.seconds:,.0f}/s over {self.result.seconds:.0f} s), "
            f"{self.stored:,} in Jaeger, {self.missing:,} missing, {self.copies:,} stored twice; "
            f"refused at the end {spans.refused}, failed {spans.failed}, "
            f"retried {spans.retries} times {spans.errors or ''}"
        )


def _victim(prometheus: str, serving: list[str]) -> tuple[str, float] | None:
    """The serving pod taking most of the run's spans (OTLP/HTTP: the shop sends over gRPC)
    and its rate, once Prometheus has scraped it with the load on."""
    rates = {
        r["metric"].get("pod", ""): float(r["value"][1])
        for r in httpx.get(
            f"{prometheus}/api/v1/query",
            params={
                "query": 'sum by (pod) (rate({__name__=~"otelcol_receiver_accepted_spans(_total)?",'
                ' job="otel-collector", transport="http"}[1m]))'
            },
            timeout=30.0,
        ).json()["data"]["result"]
    }
    busiest = max(serving, key=lambda p: rates.get(p, 0.0))
    return (busiest, rates[busiest]) if rates.get(busiest, 0.0) > 0 else None


def _rolled_out(stack: Stack, pods: CollectorPods) -> bool | None:
    """As ``kubectl rollout status`` sees it (every replica updated and available, none of
    the old ReplicaSet left), the pods looked at meanwhile (for their times gone)."""
    pods.look()
    deployment = stack.node.get_json("deployment", "-n", STACK, COLLECTOR)
    status, want = deployment["status"], deployment["spec"]["replicas"]
    counts = {status.get(k, 0) for k in ("replicas", "updatedReplicas", "availableReplicas")}
    observed = status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
    return (observed and counts == {want}) or None


def _disrupt(stack: Stack, pods: CollectorPods, run: Disruption) -> None:
    """Delete ``run.deleted``; once two replicas serve again, restart the Deployment; return
    when every pod from before is gone (after its preStop drain)."""
    _, grace = _drain_bounds(stack)
    node = stack.node
    node.kubectl("delete", "pod", "-n", STACK, run.deleted, "--wait=false")
    deleted_at = time.monotonic()
    poll_until(
        lambda: (len(s := pods.serving()) == 2 and run.deleted not in s) or None,
        what="two collector replicas serving again after the deletion",
        timeout=240,
        interval=2,
    )
    run.replaced_after = time.monotonic() - deleted_at
    run.restarted = pods.serving()
    node.kubectl("rollout", "restart", f"deployment/{COLLECTOR}", "-n", STACK)
    restarted_at = time.monotonic()
    run.restart_at = time.time()
    poll_until(
        lambda: _rolled_out(stack, pods),
        what=f"the rollout of {COLLECTOR} complete",
        timeout=400,
        interval=2,
    )
    run.rollout_after = time.monotonic() - restarted_at
    old = {run.deleted, *run.restarted}
    poll_until(
        lambda: not old & {p["metadata"]["name"] for p in pods.look()} or None,
        what=f"the collector pods from before ({sorted(old)}) gone after their drain",
        timeout=grace + 300,
        interval=2,
    )
    run.new_pods = pods.serving()
    run.gone_after = {run.deleted: pods.gone_at[run.deleted] - deleted_at} | {
        name: pods.gone_at[name] - restarted_at for name in run.restarted
    }


def _count(jaeger: str, run: Disruption) -> None:
    """Wait until Jaeger holds every span the collector accepted, or the count stops growing
    for SETTLE_QUIET seconds; then the distinct spans and the copies."""

    def keys() -> list[tuple[str, str]]:
        return stored.jaeger_service_span_keys(jaeger, run.service, payloads.ROOT_SPAN_NAMES)

    stored.settle(
        lambda: float(len(set(keys()))),
        run.result.spans.sent,
        timeout=300,
        quiet=SETTLE_QUIET,
        interval=3,
        progress=print,
        what=f"spans of {run.service} in Jaeger",
    )
    found = keys()
    run.stored = len(set(found))
    run.copies = len(found) - run.stored


@pytest.fixture(scope="module")
def disruption(stack: Stack) -> Disruption:
    """Steady OTLP load from a pod of the shop's namespace under a run id of its own; the
    collector pod taking most of it deleted; then a rolling restart; the load stopped once
    every pod from before is gone; the run's spans counted in Jaeger."""
    loadgen = stack.node.get_json("deployment", "-n", SHOP, "loadgen")
    assert loadgen["status"].get("readyReplicas", 0) >= 1, "the shop's own load runs"
    prometheus = stack.url(STACK, "prometheus", 9090)
    pods = CollectorPods(stack)
    serving = pods.serving()
    assert len(serving) == 2, serving
    run = Disruption(f"kansoku-faults-{secrets.token_hex(4)}")
    # The baseline is taken from figures written after this mark: the modules before this one
    # made shop-backend fail on purpose and cleared it just now, and the load generator's
    # summary (every 30 s) and the shop's exported counters (every 15 s) lag behind; read at
    # the mark, they left those failures to be counted as the rolling restart's.
    run.mark = time.time()
    run.shop_before = _shop_counts(stack, prometheus, after=run.mark, first=True)
    config = LoadConfig(
        endpoint=COLLECTOR_OTLP_HTTP,
        service=run.service,
        duration=STEADY_LONGEST,
        spans_per_second=STEADY_SPANS_PER_SECOND,
        points_per_second=0,
        spans_per_request=STEADY_SPANS_PER_REQUEST,
        spans_per_trace=STEADY_SPANS_PER_TRACE,
        concurrency=STEADY_WORKERS,
    )
    load = InClusterLoad(stack.node, stack.image("loadgen"), "otlp-faults-steady", config)
    try:
        load.start()
        run.deleted, run.deleted_rate = poll_until(
            lambda: _victim(prometheus, serving),
            what="a collector pod taking the run's spans (Prometheus scrapes every 15 s)",
            timeout=180,
            interval=3,
        )
        _disrupt(stack, pods, run)
        end_mark = time.time()
        phase = stack.node.get_json("pod", "-n", SHOP, load.name)["status"].get("phase")
        run.load_ran_through = phase == "Running"
        if run.load_ran_through:
            load.stop()
        run.load = load.result(grace=120)
        _count(stack.url(STACK, "jaeger", 16686), run)
        run.shop_after = _shop_counts(stack, prometheus, after=end_mark, first=False)
    finally:
        load.delete()
    return run


def test_a_collector_pod_deleted_under_steady_load_drains_and_loses_at_most_its_last_batch(
    stack: Stack, disruption: Disruption
) -> None:
    run = disruption
    sleep, grace = _drain_bounds(stack)
    gone = run.gone_after[run.deleted]
    print(
        f"\npod deletion under {STEADY_SPANS_PER_SECOND:.0f} spans/s of OTLP/HTTP from a pod "
        f"of the shop's namespace:\n"
        f"  deleted {run.deleted} (taking {run.deleted_rate:.0f} spans/s of the run); two "
        f"replicas serving again {run.replaced_after:.0f} s later; the pod gone "
        f"{gone:.0f} s after its deletion (preStop sleep {sleep:.0f} s, grace {grace:.0f} s)\n"
        f"{run.spans_line()}\n"
        "  (one load and one count for the deletion and the rolling restart after it)"
    )
    assert run.load_ran_through, "the load stopped before the last old pod was gone"
    assert sleep <= gone <= grace + 30, "the pod drained for its preStop sleep, then stopped"
    assert run.result.spans.refused == run.result.spans.failed == 0
    bound = _loss_bound(len(run.gone_after))
    print(f"  missing {run.missing:,}, bound {bound:,} (each terminated pod's last batch)")
    assert run.missing <= bound, run.spans_line()
    wait_all_ready(stack)


def test_a_rolling_restart_during_the_shops_load_fails_no_request_nor_more_than_last_batches(
    stack: Stack, disruption: Disruption
) -> None:
    run = disruption
    before, after = run.shop_before, run.shop_after
    assert before is not None
    assert after is not None
    requests = after.loadgen_requests - before.loadgen_requests
    failed = after.loadgen_failed - before.loadgen_failed
    served = after.backend_requests - before.backend_requests
    backend_5xx = after.backend_5xx - before.backend_5xx
    client_errors = after.frontend_to_backend_errors - before.frontend_to_backend_errors
    gone = ", ".join(f"{n} {s:.0f} s" for n, s in sorted(run.gone_after.items()))
    print(
        f"\nrolling restart of {COLLECTOR} during the shop's load:\n"
        f"  rollout complete {run.rollout_after:.0f} s after `rollout restart`; old pods gone "
        f"(s after their deletion or the restart): {gone}; serving now: {run.new_pods}\n"
        f"  the shop meanwhile: {requests:,} requests from its load generator, {failed} "
        f"failed; shop-backend served {served:,.0f} ({backend_5xx:,.0f} answered 5xx); "
        f"shop-frontend's calls to it failed {client_errors:,.0f} times\n"
        f"{run.spans_line()}"
    )
    if failed or backend_5xx or client_errors:
        print(
            f"  load generator summaries read: {_when(before.summary_at)} and "
            f"{_when(after.summary_at)}; the restart began {_when(run.restart_at)}\n"
            f"  error series grown:{_failures_between(before, after)}\n"
            f"  shop-backend's warnings and errors since the mark:"
            f"{_backend_errors_since(stack, run.mark)}"
        )
    assert run.load_ran_through, "the load stopped before the last old pod was gone"
    assert len(run.new_pods) == 2
    assert not set(run.new_pods) & set(run.restarted)
    assert requests > 0, "the shop was under load through the restart"
    assert served > 0
    assert failed == 0, "no failed request of the shop's load generator"
    assert backend_5xx == 0
    assert client_errors == 0
    assert run.missing <= _loss_bound(len(run.gone_after)), run.spans_line()
    wait_all_ready(stack)


@dataclass
class Peaks:
    """The highest figures seen of one collector container (bytes)."""

    working_set: int = 0  # usage less inactive page cache, from the host every 0.5 s
    rss: int = 0  # anonymous memory, from the host
    kubelet_working_set: float = 0.0  # the kubelet's /metrics/resource, every 5 s


class MemoryWatch:
    """Samples the collector containers' memory cgroups (host) and the kubelet's working
    sets in a thread, keeping each container's peaks, until the ``with`` block ends."""

    def __init__(self, stack: Stack, folders: dict[str, Path]) -> None:
        self.stack, self.folders = stack, folders
        self.peaks = {name: Peaks() for name in folders}
        self.samples = 0
        self.skipped: list[str] = []  # kubelet samples that failed
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=60)

    def _sample(self) -> None:
        kubelet_due = 0.0
        while not self._done.wait(0.5):
            for name, folder in self.folders.items():
                try:
                    reading = cgroups.read_memory(folder)
                except OSError:
                    continue  # the container is gone: its restart is asserted afterwards
                peaks = self.peaks[name]
                peaks.working_set = max(peaks.working_set, reading.working_set)
                peaks.rss = max(peaks.rss, reading.rss)
            self.samples += 1
            if time.monotonic() >= kubelet_due:
                kubelet_due = time.monotonic() + 5.0
                try:
                    sample = workingset.parse(kube.resource_metrics(self.stack.node))
                except Exception as exc:  # noqa: BLE001 - a busy API server skips one sample
                    self.skipped.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                for (namespace, pod, _), value in sample.working_set.items():
                    if namespace == STACK and pod in self.peaks:
                        peak = self.peaks[pod]
                        peak.kubelet_working_set = max(peak.kubelet_working_set, value)


def _memory_folders(stack: Stack, pods: list[dict[str, Any]]) -> dict[str, Path]:
    """Each collector pod's container cgroup (memory) on the host, under the node's root."""
    layout = stack.node.layout
    assert layout is not None
    folders = {}
    for pod in pods:
        [status] = pod["status"]["containerStatuses"]
        container_id = status["containerID"].split("://", 1)[1]
        parent = cgroups.pod_memory(layout.cgroup_root, pod["metadata"]["uid"])
        # cgroupfs names it by the container id alone (systemd: cri-containerd-<id>.scope)
        [folder] = [d for d in parent.iterdir() if d.is_dir() and container_id in d.name]
        folders[pod["metadata"]["name"]] = folder
    return folders


@contextmanager
def _hpa_held_at(stack: Stack, replicas: int) -> Iterator[None]:
    """The collector's HPA kept at ``replicas`` (so the burst meets exactly those replicas),
    then given back its maximum from the rendering once its CPU is under target again."""
    hpa = _workload(stack, "HorizontalPodAutoscaler", COLLECTOR)["spec"]
    target = hpa["metrics"][0]["resource"]["target"]["averageUtilization"]

    def patch(maximum: int) -> None:
        body = json.dumps({"spec": {"maxReplicas": maximum}})
        stack.node.kubectl("patch", "hpa", COLLECTOR, "-n", STACK, "--type=merge", "-p", body)

    def calm() -> bool | None:
        status = stack.node.get_json("hpa", "-n", STACK, COLLECTOR)["status"]
        current = [m["resource"]["current"] for m in status.get("currentMetrics") or []]
        used = [c["averageUtilization"] for c in current if "averageUtilization" in c]
        return (bool(used) and max(used) < target) or None

    patch(replicas)
    try:
        yield
        poll_until(
            calm,
            what=f"the collector's CPU under the HPA's {target}% again",
            timeout=240,
            interval=3,
        )
    finally:
        patch(int(hpa["maxReplicas"]))


def _mib(value: float) -> str:
    return f"{value / MIB:,.0f} MiB"


def _read(folder: Path) -> cgroups.MemoryReading | None:
    try:
        return cgroups.read_memory(folder)
    except OSError:
        return None  # the container is gone (restarted): asserted by its status


@dataclass
class Burst:
    """What a burst did: the sender's counts, each container's memory, the pods after."""

    result: LoadResult
    watch: MemoryWatch
    readings: dict[str, cgroups.MemoryReading | None]
    after: dict[str, dict[str, Any]]
    drained: float  # s from the burst's end to the queues to Jaeger empty


def _burst(stack: Stack, pods: CollectorPods, folders: dict[str, Path]) -> Burst:
    """The burst from a pod of the shop's namespace, its memory watched; then the wait for
    the backlog it left to reach Jaeger."""
    config = LoadConfig(
        endpoint=COLLECTOR_OTLP_HTTP,
        service=f"kansoku-burst-{secrets.token_hex(4)}",
        duration=BURST_SECONDS,
        spans_per_second=1.0,  # saturate: back to back, whatever the rate
        points_per_second=0,
        spans_per_request=BURST_SPANS_PER_REQUEST,
        spans_per_trace=1,
        concurrency=BURST_WORKERS,
        saturate=True,
    )
    load = InClusterLoad(
        stack.node, stack.image("loadgen"), "otlp-faults-burst", config, cpu="1", memory="768Mi"
    )
    with MemoryWatch(stack, folders) as watch:
        result = load.start().result(grace=180)
    ended = time.monotonic()
    after = {p["metadata"]["name"]: p for p in pods.look()}
    readings = {name: _read(folder) for name, folder in folders.items()}
    prometheus = stack.url(STACK, "prometheus", 9090)
    queue = 'otelcol_exporter_queue_size{job="otel-collector", exporter="otlp_grpc/jaeger"}'

    def empty() -> bool | None:
        resp = httpx.get(f"{prometheus}/api/v1/query", params={"query": queue}, timeout=30.0)
        sizes = [float(r["value"][1]) for r in resp.json()["data"]["result"]]
        return (bool(sizes) and max(sizes) == 0) or None

    poll_until(empty, what="the collectors' queues to Jaeger empty", timeout=300, interval=3)
    return Burst(result, watch, readings, after, time.monotonic() - ended)


def _print_burst(burst: Burst, container: dict[str, Any], replicas: int) -> None:
    result, spans = burst.result, burst.result.spans
    limit = quantity(container["resources"]["limits"]["memory"])
    env = {e["name"]: e.get("value", "") for e in container["env"]}
    print(
        f"\nburst: {result.seconds:.0f} s back to back from {BURST_WORKERS} workers, "
        f"{BURST_SPANS_PER_REQUEST:,}-span bodies, to the collector's Service (the HPA held at "
        f"{replicas} replicas)\n"
        f"  accepted {spans.sent:,} spans ({spans.sent / result.seconds:,.0f}/s) in "
        f"{spans.requests:,} requests; {spans.retries:,} retries; answers other than 2xx "
        f"{spans.errors}; refused at the end {spans.refused:,}, failed {spans.failed:,}\n"
        f"  limits: container {_mib(limit)}; GOMEMLIMIT {env.get('GOMEMLIMIT')}; memory_limiter "
        f"{env.get('KANSOKU_COLLECTOR_MEMORY_LIMIT_MIB')} MiB, spike "
        f"{env.get('KANSOKU_COLLECTOR_MEMORY_SPIKE_MIB')} MiB\n"
        f"  the backlog to Jaeger drained {burst.drained:.0f} s after the burst; memory sampled "
        f"{burst.watch.samples} times from the host (kubelet samples skipped: "
        f"{len(burst.watch.skipped)})"
    )
    for name, reading in sorted(burst.readings.items()):
        peaks = burst.watch.peaks[name]
        cgroup = (
            f"cgroup peak {_mib(reading.peak)} (page cache included: the queue's files), "
            f"limit hit {reading.failcnt} times, OOM kills {reading.oom_kills}"
            if reading
            else "cgroup gone"
        )
        print(
            f"  {name}: working set peak {_mib(peaks.working_set)} of {_mib(limit)} (host), "
            f"{_mib(peaks.kubelet_working_set)} (kubelet); anonymous peak {_mib(peaks.rss)}; "
            f"{cgroup}"
        )


def test_a_burst_above_the_memory_limit_is_refused_and_retried_not_oom_killed(
    stack: Stack,
) -> None:
    container = _collector_container(stack)
    limit = quantity(container["resources"]["limits"]["memory"])
    pods = CollectorPods(stack)
    serving = pods.serving()
    before = {p["metadata"]["name"]: p for p in pods.look() if p["metadata"]["name"] in serving}
    assert len(before) == 2, sorted(before)
    folders = _memory_folders(stack, list(before.values()))
    for folder in folders.values():
        cgroups.reset_memory_peak(folder)
    with _hpa_held_at(stack, len(before)):
        burst = _burst(stack, pods, folders)
    _print_burst(burst, container, len(before))
    for name, pod in before.items():
        assert name in burst.after, f"{name} was replaced during the burst"
        assert burst.after[name]["metadata"]["uid"] == pod["metadata"]["uid"]
        [status] = burst.after[name]["status"]["containerStatuses"]
        assert status["restartCount"] == 0, status
        assert "terminated" not in (status.get("lastState") or {}), status["lastState"]
        reading = burst.readings[name]
        assert reading is not None
        assert reading.oom_kills == 0
        assert 0 < burst.watch.peaks[name].working_set < limit
    spans = burst.result.spans
    assert spans.sent > 0
    assert {"429", "503"} & set(spans.errors), "the burst never met the memory limiter"
    assert spans.retries > 0
    wait_all_ready(stack)
