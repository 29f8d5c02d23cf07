"""The collector's HorizontalPodAutoscaler on real pods: OTLP load from a pod inside the
cluster (kansoku.bench.podload) pushes the collector past 70% of its CPU request, the HPA
scales it past its minimum of 2 within a bound computed from the periods of metrics-server,
the kubelet and the controller, and the new replicas take their share of the traffic.

One load run proves it all (module fixture ``scaled``); the tests read what it recorded. The
load is sized from the rendering (``podload.scaling_spans_per_second``: twice the HPA's target
on its minimum of replicas) and its workers reconnect every few seconds: the Service spreads
connections, not requests, so only connections opened after a replica is Ready can reach it.
Scale-down (300 s of stabilization, then one pod a minute) is not waited for; the test leaves
the extra replicas to it, every workload Ready.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from stack_harness import DATA_TIMEOUT, STACK, InClusterLoad, Stack, diagnostics, wait_all_ready

from kansoku.bench import podload
from kansoku.bench.otlpload import LoadResult
from kansoku.cluster import controllers, kubelet, metricsserver
from kansoku.cluster.operations import quantity
from kansoku.verify.checks import prometheus_query
from kansoku.verify.poll import PollTimeoutError, poll_until

pytestmark = [pytest.mark.realnode, pytest.mark.timeout(900)]

COLLECTOR = podload.COLLECTOR
# The load process's own start in its pod (Python's imports, the bodies encoded once).
LOAD_START_SECONDS = 10.0
# A new collector pod scheduled, its sandbox and container started on the busy 2-core node,
# up to its health endpoint answering (its first readiness probe may come before that; the
# next one a probe period later is added from the rendering).
POD_START_SECONDS = 20.0
# After the new replicas are Ready: the workers' reconnections reach them (RECONNECT_SECONDS)
# and Prometheus scrapes each new pod at least twice (15 s scrape interval).
TRAFFIC_SECONDS = podload.RECONNECT_SECONDS + 2 * 15.0 + 5.0


@dataclass(frozen=True)
class Bound:
    """Seconds from the load's start to the HPA wanting more replicas, and to them Ready."""

    wanted: float
    ready: float
    terms: str

    @classmethod
    def compute(cls, stack: Stack) -> Bound:
        resolution = metricsserver.METRIC_RESOLUTION_SECONDS
        housekeeping = kubelet.CADVISOR_MAX_HOUSEKEEPING_SECONDS
        sync = controllers.HPA_SYNC_SECONDS
        collector = podload.workload(stack.objects, "Deployment", COLLECTOR)
        probe = collector["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
        # A CPU sample taken after the load started is at most one housekeeping old; the first
        # metrics-server window wholly under load ends within two resolutions of it; the
        # HPA reads it at its next sync.
        wanted = LOAD_START_SECONDS + housekeeping + 2 * resolution + sync
        ready = wanted + POD_START_SECONDS + probe["periodSeconds"]
        terms = (
            f"load start {LOAD_START_SECONDS:.0f} + cAdvisor {housekeeping} + 2 x metric "
            f"resolution {resolution} + HPA sync {sync} = {wanted:.0f} s to desired; "
            f"+ pod start {POD_START_SECONDS:.0f} + readiness period {probe['periodSeconds']}"
            f" = {ready:.0f} s to Ready"
        )
        return cls(wanted, ready, terms)


@dataclass
class Reaction:
    """What the load run saw."""

    bound: Bound
    minimum: int
    target: int
    rate: float
    wanted: float | None = None  # seconds from the load's start
    ready: float | None = None
    peak: int = 0  # the HPA's highest averageUtilization, % of the request
    cpu_at_peak: dict[str, float] = field(default_factory=dict)  # pod -> cores
    desired: int = 0
    before: set[str] = field(default_factory=set)
    new_pods: dict[str, float] = field(default_factory=dict)  # pod -> start to Ready, s
    result: LoadResult | None = None
    accepted: dict[str, float] = field(default_factory=dict)  # pod -> spans during the load


def _hpa(stack: Stack) -> dict[str, Any]:
    hpa: dict[str, Any] = stack.node.get_json("hpa", "-n", STACK, COLLECTOR)
    return hpa


def _utilization(hpa: dict[str, Any]) -> int | None:
    for metric in hpa.get("status", {}).get("currentMetrics") or []:
        if metric.get("type") == "Resource" and metric["resource"]["name"] == "cpu":
            value = metric["resource"]["current"].get("averageUtilization")
            return int(value) if value is not None else None
    return None


def _pod_cpu(stack: Stack) -> dict[str, float]:
    """Each collector pod's CPU (cores) as metrics-server serves it to the HPA."""
    raw = stack.node.kubectl(
        "get", "--raw", f"/apis/metrics.k8s.io/v1beta1/namespaces/{STACK}/pods", check=False
    )
    if raw.returncode != 0:
        return {}
    return {
        item["metadata"]["name"]: sum(quantity(c["usage"]["cpu"]) for c in item["containers"])
        for item in json.loads(raw.stdout)["items"]
        if item["metadata"]["name"].startswith(f"{COLLECTOR}-")
    }


def _collector_pods(stack: Stack) -> list[dict[str, Any]]:
    return stack.pods(STACK, "app.kubernetes.io/name=otel-collector")


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _start_to_ready(pod: dict[str, Any]) -> float | None:
    for condition in pod["status"].get("conditions", []):
        if condition["type"] == "Ready" and condition["status"] == "True":
            created = _stamp(pod["metadata"]["creationTimestamp"])
            return _stamp(condition["lastTransitionTime"]) - created
    return None


def _watch(stack: Stack, reaction: Reaction, started: float, until: float) -> None:
    """Every 2 s until the new replicas are Ready (or ``until``): the HPA's utilization and
    desired count, the Deployment's ready replicas."""
    while (now := time.monotonic()) < until:
        hpa = _hpa(stack)
        utilization = _utilization(hpa)
        if utilization is not None and utilization > reaction.peak:
            reaction.peak = utilization
            reaction.cpu_at_peak = _pod_cpu(stack)
        desired = hpa.get("status", {}).get("desiredReplicas", 0)
        reaction.desired = max(reaction.desired, desired)
        if reaction.wanted is None and desired > reaction.minimum:
            reaction.wanted = now - started
        deployment = stack.node.get_json("deployment", "-n", STACK, COLLECTOR)
        if reaction.ready is None and deployment["status"].get("readyReplicas", 0) > (
            reaction.minimum
        ):
            reaction.ready = now - started
            return
        time.sleep(2.0)


def _accepted_per_pod(stack: Stack, seconds: float) -> dict[str, float]:
    """Spans each collector pod's OTLP/HTTP receiver accepted over the last ``seconds``: the
    collector's own counter, scraped from each pod by Prometheus (label ``pod``)."""
    name = '__name__=~"otelcol_receiver_accepted_spans(_total)?"'
    selector = f'{name}, job="{COLLECTOR}", namespace="{STACK}", transport="http"'
    query = f"sum by (pod) (increase({{{selector}}}[{int(seconds)}s]))"
    url = stack.url(STACK, "prometheus", 9090)
    return {r["metric"]["pod"]: float(r["value"][1]) for r in prometheus_query(url, query)}


@pytest.fixture(scope="module")
def scaled(stack: Stack) -> Reaction:
    hpa = _hpa(stack)
    minimum = hpa["spec"]["minReplicas"]
    [metric] = [m for m in hpa["spec"]["metrics"] if m["type"] == "Resource"]
    target = metric["resource"]["target"]["averageUtilization"]
    bound = Bound.compute(stack)
    config = podload.scaling_load(stack.objects, bound.ready + TRAFFIC_SECONDS, "otlp-load-hpa")
    reaction = Reaction(bound, minimum, target, config.spans_per_second)

    # The HPA must read the collector's CPU, and be at its minimum, before the load starts.
    def idle() -> int | None:
        current = _hpa(stack)
        utilization = _utilization(current)
        at_minimum = current.get("status", {}).get("desiredReplicas") == minimum
        return utilization if utilization is not None and at_minimum else None

    try:
        idle_utilization = poll_until(
            idle, what="the HPA reading the collector's CPU, at its minimum", timeout=180
        )
    except PollTimeoutError as exc:
        raise AssertionError(f"{exc}\n{json.dumps(_hpa(stack).get('status'))}") from exc
    reaction.before = {p["metadata"]["name"] for p in _collector_pods(stack)}
    print(
        f"\nHPA {COLLECTOR}: min {minimum}, target {target}% of the CPU request, idle at "
        f"{idle_utilization}%; load {config.spans_per_second:,.0f} spans/s from "
        f"{config.concurrency} workers reconnecting every {config.reconnect_seconds:.0f} s, "
        f"{config.duration:.0f} s\nbound: {bound.terms}"
    )
    load = InClusterLoad(stack.node, stack.image("loadgen"), "otlp-load-hpa", config)
    try:
        load.start()
        started = time.monotonic()
        _watch(stack, reaction, started, started + config.duration)
        reaction.result = load.result()
    except BaseException:
        load.delete()
        raise
    window = time.monotonic() - started
    for pod in _collector_pods(stack):
        name = pod["metadata"]["name"]
        seconds = _start_to_ready(pod)
        if name not in reaction.before and seconds is not None:
            reaction.new_pods[name] = seconds

    def every_pod_counted() -> dict[str, float] | None:
        accepted = _accepted_per_pod(stack, time.monotonic() - started)
        wanted = reaction.before | set(reaction.new_pods)
        return accepted if wanted <= set(accepted) else None

    try:
        reaction.accepted = poll_until(
            every_pod_counted, what="accepted spans of every collector pod", timeout=DATA_TIMEOUT
        )
    except PollTimeoutError:
        reaction.accepted = _accepted_per_pod(stack, time.monotonic() - started)
    print(
        f"measured: desired above {minimum} after {reaction.wanted} s (bound "
        f"{bound.wanted:.0f} s), those replicas Ready after {reaction.ready} s (bound "
        f"{bound.ready:.0f} s); peak utilization {reaction.peak}% (desired up to "
        f"{reaction.desired}); load ran {window:.0f} s"
    )
    cpu = ", ".join(f"{p} {c * 1000:.0f}m" for p, c in sorted(reaction.cpu_at_peak.items()))
    print(f"collector CPU at the peak (metrics-server): {cpu}")
    for name, seconds in sorted(reaction.new_pods.items()):
        print(f"new replica {name}: created to Ready in {seconds:.0f} s")
    return reaction


def test_the_load_pushes_the_collector_above_its_cpu_target(scaled: Reaction) -> None:
    assert scaled.peak > scaled.target, (scaled.peak, scaled.cpu_at_peak)


def test_the_hpa_scales_past_its_minimum_within_the_computed_bound(
    stack: Stack, scaled: Reaction
) -> None:
    assert scaled.wanted is not None, f"desired never above {scaled.minimum}"
    assert scaled.ready is not None, f"{diagnostics(stack.node)}"
    assert scaled.wanted <= scaled.bound.wanted, scaled.bound.terms
    assert scaled.ready <= scaled.bound.ready, scaled.bound.terms
    assert scaled.new_pods, "no collector pod created by the scale-up is Ready"


def test_the_new_replicas_take_traffic(scaled: Reaction) -> None:
    print("\nspans accepted per collector pod during the load (Prometheus, pod label):")
    for pod, spans in sorted(scaled.accepted.items()):
        mark = "new" if pod in scaled.new_pods else "old"
        print(f"  {pod:40} {mark}  {spans:>12,.0f}")
    idle = [p for p in scaled.new_pods if scaled.accepted.get(p, 0) <= 0]
    assert not idle, f"new replicas without traffic: {idle}; {scaled.accepted}"


def test_the_load_is_accepted_without_loss(scaled: Reaction) -> None:
    result = scaled.result
    assert result is not None
    spans = result.spans
    print(
        f"\nload: {spans.sent:,} spans accepted in {result.seconds:.0f} s "
        f"({spans.sent / result.seconds:,.0f}/s of {scaled.rate:,.0f} asked), refused "
        f"{spans.refused}, failed {spans.failed}, retries {spans.retries} {spans.errors}; "
        f"the generator used {result.cpu_seconds:.1f} CPU-seconds"
    )
    assert spans.sent > 0
    assert spans.refused == spans.failed == 0, spans.errors
    counted = sum(scaled.accepted.values())
    # Prometheus's increase() extrapolates from 15 s scrapes: close, not exact.
    assert counted >= 0.8 * spans.sent, (counted, spans.sent)


def test_scale_down_is_left_to_the_configured_behaviour_and_every_workload_is_ready(
    stack: Stack, scaled: Reaction
) -> None:
    rendered = podload.workload(stack.objects, "HorizontalPodAutoscaler", COLLECTOR)
    live = _hpa(stack)
    down = rendered["spec"]["behavior"]["scaleDown"]
    live_down = live["spec"]["behavior"]["scaleDown"]
    # The API server adds its defaults (selectPolicy: Max); ours are all there as rendered.
    assert {k: live_down.get(k) for k in down} == down, live_down
    [policy] = down["policies"]
    print(
        f"\nscale-down (not waited for): after {down['stabilizationWindowSeconds']} s of "
        f"stabilization, {policy['value']} pod per {policy['periodSeconds']} s, back to "
        f"{scaled.minimum}"
    )
    seconds = wait_all_ready(stack)
    print(f"every workload Ready {seconds:.0f} s after the load")
