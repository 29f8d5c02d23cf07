"""Prometheus: the metrics store, started beside this host's scrape targets and the rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kansoku import conventions as cv
from kansoku import locations
from kansoku.stack.components.spec import ComponentSpec, StackSettings

BINARIES = ("prometheus",)
STAGE = 0  # a store: needs nothing else to start
# Flags Prometheus needs in every mode (deploy/kubernetes passes the same ones).
FLAGS = (
    "--web.enable-remote-write-receiver",
    "--web.enable-otlp-receiver",
    "--enable-feature=exemplar-storage",
)


def _write_targets(settings: StackSettings, etc: Path) -> None:
    targets = {
        cv.JOB_PROMETHEUS: settings.hostport("prometheus"),
        cv.JOB_COLLECTOR: settings.hostport("collector-metrics"),
        cv.JOB_JAEGER: settings.hostport("jaeger-metrics"),
    }
    (etc / "targets").mkdir(parents=True, exist_ok=True)
    for job, target in targets.items():
        body = [{"targets": [target], "labels": {"kansoku_mode": "local"}}]
        (etc / "targets" / f"{job}.json").write_text(json.dumps(body, indent=2) + "\n")


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    source = locations.config_dir() / "prometheus"
    etc = settings.data_dir / "prometheus" / "etc"

    def prepare() -> None:
        # Prometheus resolves targets/ and rules/ relative to its config file, so the file is
        # placed, unchanged, beside this host's targets and the committed rules.
        shutil.rmtree(etc, ignore_errors=True)
        etc.mkdir(parents=True)
        shutil.copyfile(source / "prometheus.yaml", etc / "prometheus.yaml")
        if (source / "rules").is_dir():
            shutil.copytree(source / "rules", etc / "rules")
        _write_targets(settings, etc)

    argv = [
        str(binaries["prometheus"]),
        f"--config.file={etc / 'prometheus.yaml'}",
        f"--storage.tsdb.path={settings.data_dir / 'prometheus' / 'tsdb'}",
        f"--storage.tsdb.retention.time={settings.retention}",
        f"--web.listen-address={settings.hostport('prometheus')}",
        *FLAGS,
    ]
    return [
        ComponentSpec(
            cv.PROMETHEUS,
            argv,
            {},
            settings.url("prometheus") + "/-/ready",
            ("prometheus",),
            settings.url("prometheus"),
            prepare,
            stage=STAGE,
        )
    ]
