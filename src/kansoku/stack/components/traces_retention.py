"""Retention of the traces on OpenSearch: es-index-cleaner now and every hour
(kansoku.traces.retention), only with ``--jaeger-storage opensearch``."""

from __future__ import annotations

import sys
from pathlib import Path

from kansoku import conventions as cv
from kansoku.errors import ConfigError
from kansoku.stack.components.spec import ComponentSpec, StackSettings

BINARIES: tuple[str, ...] = ()  # only with --jaeger-storage opensearch: extra_binaries()
STAGE = 1  # once OpenSearch (stage -1) and Jaeger, which creates the index templates, answer
NAME = "traces-retention"


def extra_binaries(settings: StackSettings) -> tuple[str, ...]:
    return (cv.ES_INDEX_CLEANER,) if settings.jaeger_storage == cv.OPENSEARCH else ()


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    if settings.jaeger_storage != cv.OPENSEARCH:
        return []
    if settings.traces_retention_days < 1:
        raise ConfigError("--traces-retention-days", "value", "a whole number of days, 1 or more")
    argv = [
        sys.executable,
        "-m",
        "kansoku.traces.retention",
        f"--cleaner={binaries[cv.ES_INDEX_CLEANER]}",
        f"--url={settings.url('opensearch')}",
        f"--days={settings.traces_retention_days}",
    ]
    return [
        ComponentSpec(
            NAME, argv, {}, None, (), f"every hour, {settings.traces_retention_days}d", stage=STAGE
        )
    ]
