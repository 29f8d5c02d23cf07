"""The page's delivery bound is computed from the configuration, as both modes' tests use it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kansoku.alerting import timing


def _write(root: Path, relative: str, data: object) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_the_page_bound_counts_two_exports_and_evaluations_the_batch_and_the_page_wait(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "collector/collector.yaml", {"processors": {"batch": {"timeout": "500ms"}}})
    _write(tmp_path, "prometheus/prometheus.yaml", {"global": {"evaluation_interval": "15s"}})
    routes = [
        {"matchers": ['severity="ticket"'], "group_wait": "2m", "group_interval": "10m",
         "repeat_interval": "24h"},
        {"matchers": ['severity="page"'], "group_wait": "30s", "group_interval": "1m",
         "repeat_interval": "1h"},
    ]  # fmt: skip
    _write(tmp_path, "alertmanager/alertmanager.yaml", {"route": {"routes": routes}})
    bound = timing.page_bound(60, tmp_path)
    assert (bound.export, bound.batch, bound.evaluation, bound.group_wait) == (60, 0.5, 15, 30)
    assert bound.total == 2 * 60 + 0.5 + 2 * 15 + 30 + timing.SLACK_SECONDS
    assert timing.route_timing("ticket", tmp_path)["group_interval"] == 600


def test_the_committed_configuration_gives_a_bound() -> None:
    assert timing.page_bound(timing.SDK_EXPORT_INTERVAL_MS / 1000).total > 120


@pytest.mark.parametrize("text", ["15", "1d", "1.5s", ""])
def test_seconds_rejects_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        timing.seconds(text)
