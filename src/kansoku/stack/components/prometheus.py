"""Prometheus: the metrics store, started beside this host's scrape targets and the rules.

A module build serves its web UI from ``static/mantine-ui`` under its working directory, so
Prometheus starts in the ``prometheus-ui`` cache entry (``kansoku tools install`` builds it).
That directory's name matters: Prometheus looks elsewhere when it is named ``prometheus``,
``web`` or ``ui``, and the entry's versioned name is none of those.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import KansokuError
from kansoku.stack.components.spec import ComponentSpec, StackSettings
from kansoku.tools import versions, webui

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
        cv.JOB_ALERTMANAGER: settings.hostport("alertmanager"),
    }
    (etc / "targets").mkdir(parents=True, exist_ok=True)
    for job, target in targets.items():
        body = [{"targets": [target], "labels": {"kansoku_mode": "local"}}]
        (etc / "targets" / f"{job}.json").write_text(json.dumps(body, indent=2) + "\n")


UI_MISSING = (
    "the Prometheus web UI is not built, so {url} serves only the HTTP API; "
    "build it with 'kansoku tools install {name}' and start the stack again"
)


def web_ui() -> tuple[Path | None, str]:
    """The built UI's cache entry (``None`` when missing) and the name that builds it."""
    try:
        recipe = webui.recipe_named(versions.load(), f"{cv.PROMETHEUS}-ui")
    except KansokuError:
        return None, f"{cv.PROMETHEUS}-ui"  # a bad versions file is reported by the binaries
    if recipe is None:
        return None, f"{cv.PROMETHEUS}-ui"
    return webui.installed(recipe), recipe.name


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    source = locations.config_dir() / "prometheus"
    # Absolute: Prometheus runs in the UI's directory, not the caller's.
    data = settings.data_dir.resolve()
    etc = data / "prometheus" / "etc"
    ui_dir, ui_name = web_ui()
    notes = () if ui_dir else (UI_MISSING.format(url=settings.url("prometheus"), name=ui_name),)

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
        f"--storage.tsdb.path={data / 'prometheus' / 'tsdb'}",
        f"--storage.tsdb.retention.time={settings.retention}",
        f"--web.listen-address={settings.hostport('prometheus')}",
        *FLAGS,
    ]
    env = {cv.ENV_CLUSTER: cv.LOCAL_CLUSTER, cv.ENV_ENVIRONMENT: cv.LOCAL_ENVIRONMENT}
    return [
        ComponentSpec(
            cv.PROMETHEUS,
            argv,
            env,
            settings.url("prometheus") + "/-/ready",
            ("prometheus",),
            settings.url("prometheus"),
            prepare,
            stage=STAGE,
            cwd=ui_dir,
            notes=notes,
        )
    ]
