"""Retention of the traces on OpenSearch: old daily indices deleted now and every hour
(kansoku.traces.retention), only with ``--jaeger-storage opensearch``."""

from __future__ import annotations

import sys
from pathlib import Path

from kansoku.errors import ConfigError
from kansoku.stack.components.spec import ComponentSpec, StackSettings

BINARIES: tuple[str, ...] = ()
STAGE = 1  # once OpenSearch (stage -1) answers
NAME = "traces-retention"


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    if settings.jaeger_storage != "opensearch":
        return []
    if settings.traces_retention_days < 1:
        raise ConfigError("--traces-retention-days", "value", "a whole number of days, 1 or more")
    argv = [
        sys.executable,
        "-m",
        "kansoku.traces.retention",
        f"--url={settings.url('opensearch')}",
        f"--days={settings.traces_retention_days}",
    ]
    return [
        ComponentSpec(
            NAME, argv, {}, None, (), f"every hour, {settings.traces_retention_days}d", stage=STAGE
        )
    ]
