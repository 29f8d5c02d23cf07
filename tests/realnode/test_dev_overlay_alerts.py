"""The SLOs on the real node: the rules generated from config/slo evaluate in the in-cluster
Prometheus over the shop's real traffic, and errors injected into shop-backend make the SLO's
page fire in Prometheus and reach the in-cluster Alertmanager within the bound computed as
local mode computes it (kansoku.alerting.timing), with this cluster's export interval.

shop-backend's fault endpoint is opened by the real-node component with a token from a Secret
the ``stack`` fixture creates (tests/cluster/components/real-node); its Service is reached
through a loopback forwarder, which dials from the node's own network namespace: kube-router
admits traffic from a pod's own node (what the kubelet's probes need), so the NetworkPolicy
that admits only shop-frontend's pods to shop-backend does not stand in the way.
Alertmanager's receivers point nowhere here (clusterfigures.receivers_secret: 127.0.0.1:9),
so the claim ends at Alertmanager's API. The fault is cleared before the file ends.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from stack_harness import DATA_TIMEOUT, STACK, Stack, set_faults, wait_all_ready

from kansoku import conventions as cv
from kansoku import locations
from kansoku.alerting import timing
from kansoku.slo import loader, promql
from kansoku.slo.spec import SLO
from kansoku.verify.checks import prometheus_query
from kansoku.verify.poll import poll_until

pytestmark = [pytest.mark.realnode, pytest.mark.timeout(1800)]

SLO_ID = f"{cv.SHOP_BACKEND}-availability"
PAGE = {"alertname": cv.SLO_ALERT_BURN, cv.SLO_LABEL_ID: SLO_ID, cv.SLO_LABEL_SEVERITY: "page"}
FIRING_PAGE = (
    f'ALERTS{{alertname="{cv.SLO_ALERT_BURN}", {cv.SLO_LABEL_ID}="{SLO_ID}", '
    f'{cv.SLO_LABEL_SEVERITY}="page", alertstate="firing"}}'
)
FIVE_MINUTES = 300


def _slos() -> list[SLO]:
    return loader.load_dir(locations.config_dir() / "slo")


def _prometheus_settings(stack: Stack) -> dict[str, str]:
    """The rendered prometheus-settings ConfigMap (its name carries a content hash)."""
    [config] = [
        o
        for o in stack.objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("prometheus-settings-")
    ]
    return dict(config["data"])


def _rule_groups(prometheus: str) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{prometheus}/api/v1/rules", timeout=30)
    response.raise_for_status()
    return {g["name"]: g for g in response.json()["data"]["groups"]}


def _slo_problems(prometheus: str, slo: SLO, groups: dict[str, dict[str, Any]]) -> list[str]:
    """Why the rules of ``slo`` do not yet evaluate over the shop's traffic (empty: they do)."""
    group = groups.get(f"slo-{slo.id}")
    if group is None:
        return [f"{slo.id}: no rule group slo-{slo.id} loaded"]
    problems = [
        f"{slo.id}: {r['name']} health {r['health']} {r.get('lastError', '')}".strip()
        for r in group["rules"]
        if r["health"] != "ok"
    ]
    # The SLI's own selectors match the series the cluster writes (else the ratio would be
    # the zero-traffic 0, and no error could ever fire the alert).
    checks = [f"{promql.total_rate(slo, FIVE_MINUTES)} > 0"]
    if slo.sli.threshold is not None:
        checks.append(f"{promql.bucket_rate(slo, slo.sli.threshold, FIVE_MINUTES)} > 0")
    problems += [
        f"{slo.id}: no series for {q}" for q in checks if not prometheus_query(prometheus, q)
    ]
    # Every recorded series, but the time to exhaustion: empty while no budget burns.
    records = {r["name"] for r in group["rules"] if r["type"] == "recording"}
    seen = {
        r["metric"]["__name__"]
        for r in prometheus_query(
            prometheus,
            f'count by (__name__) ({{{cv.SLO_LABEL_ID}="{slo.id}", __name__=~"slo:.+"}})',
        )
    }
    missing = sorted(records - {cv.SLO_RECORD_EXHAUSTION} - seen)
    problems += [f"{slo.id}: no series recorded by {m}" for m in missing]
    return problems


def test_every_slo_rule_evaluates_over_the_shops_traffic_in_the_cluster(stack: Stack) -> None:
    prometheus = stack.url(STACK, "prometheus", 9090)
    slos = _slos()
    last: list[str] = []

    def evaluated() -> bool | None:
        groups = _rule_groups(prometheus)
        last[:] = [p for slo in slos for p in _slo_problems(prometheus, slo, groups)]
        if last:
            raise AssertionError("; ".join(last))
        return True

    poll_until(
        evaluated,
        what="every SLO rule evaluating over the shop's traffic",
        timeout=DATA_TIMEOUT,
        interval=5,
    )
    print(f"\nSLO rules over the shop's traffic in the cluster ({len(slos)} SLOs):")
    for slo in slos:
        ratio = _value(prometheus, f'{cv.SLO_RECORD_ERROR_RATIO}5m{{{cv.SLO_LABEL_ID}="{slo.id}"}}')
        rate = _value(prometheus, promql.total_rate(slo, FIVE_MINUTES))
        print(f"  {slo.id:28} {rate} events/s, 5m error ratio {ratio}")


def _value(prometheus: str, query: str) -> str:
    """The first series' value, or ``absent``."""
    result = prometheus_query(prometheus, query)
    return f"{float(result[0]['value'][1]):.4f}" if result else "absent"


def _alertmanager_alerts(url: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Alertmanager's own view (API v2) of the alerts with ``labels``, any state."""
    response = httpx.get(
        f"{url}/api/v2/alerts",
        params={
            "filter": [f'{k}="{v}"' for k, v in labels.items()],
            "silenced": "true",
            "inhibited": "true",
        },
        timeout=30,
    )
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


def test_errors_injected_into_shop_backend_page_through_prometheus_to_alertmanager(
    stack: Stack,
) -> None:
    prometheus = stack.url(STACK, "prometheus", 9090)
    alertmanager = stack.url(STACK, "alertmanager", 9093)
    assert not prometheus_query(prometheus, FIRING_PAGE), "a page fires before the fault"
    bound = timing.page_bound(stack.metric_export_seconds(cv.SHOP_BACKEND))
    injected = time.monotonic()
    in_force = set_faults(stack, {"*": {"error_rate": 1.0}})
    try:
        assert in_force["*"]["error_rate"] == 1.0
        firing = poll_until(
            lambda: prometheus_query(prometheus, FIRING_PAGE) or None,
            what=f"the {SLO_ID} page firing in Prometheus",
            timeout=bound.total,
            interval=2,
        )
        in_prometheus = time.monotonic() - injected
        received = poll_until(
            lambda: (
                [
                    a
                    for a in _alertmanager_alerts(alertmanager, PAGE)
                    if a["status"]["state"] == "active"
                ]
                or None
            ),
            what=f"the {SLO_ID} page active in Alertmanager",
            timeout=max(bound.total - in_prometheus, 10),
            interval=2,
        )
        in_alertmanager = time.monotonic() - injected
        print(
            f"\npage firing in Prometheus {in_prometheus:.1f}s and active in Alertmanager "
            f"{in_alertmanager:.1f}s after the fault (bound {bound.total:.1f}s: {bound})"
        )
        assert in_alertmanager <= bound.total
        settings = _prometheus_settings(stack)
        for alert in received:
            labels = alert["labels"]
            assert labels[cv.LABEL_TEAM] == "shop"
            assert labels[cv.SLO_LABEL_SERVICE] == cv.SHOP_BACKEND
            # The external labels of the cluster's Prometheus, from its settings.
            assert labels[cv.LABEL_CLUSTER] == settings["cluster"]
            assert labels[cv.LABEL_ENVIRONMENT] == settings["environment"]
            assert {r["name"] for r in alert["receivers"]} == {"shop-page"}
        windows = {a["labels"][cv.SLO_LABEL_LONG_WINDOW] for a in received}
        assert "1h" in windows, windows
        assert {f["metric"][cv.SLO_LABEL_LONG_WINDOW] for f in firing} >= {"1h"}
        # The budget now burns: the time to exhaustion is recorded (empty while healthy).
        exhaustion = f'{cv.SLO_RECORD_EXHAUSTION}{{{cv.SLO_LABEL_ID}="{SLO_ID}"}}'
        assert prometheus_query(prometheus, exhaustion), exhaustion
    finally:
        assert set_faults(stack, {}) == {}, "the fault is cleared"
    wait_all_ready(stack)  # failing requests leave the probes answering; checked, not assumed
