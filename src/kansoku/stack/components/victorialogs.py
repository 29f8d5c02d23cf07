"""VictoriaLogs: the log store (OTLP logs in from the collector, LogsQL out, its own web UI)."""

from __future__ import annotations

import re
from pathlib import Path

from kansoku import conventions as cv
from kansoku.errors import ConfigError
from kansoku.stack.components.spec import ComponentSpec, StackSettings, port_keys

BINARIES = ("victoria-logs",)
STAGE = 0  # a store: needs nothing else to start
# VictoriaLogs' own duration syntax; it counts a bare number in months, so a unit is required
# here, and its minimum retention is one day.
_RETENTION = re.compile(r"^\d+[hdwMy]$")


def check_retention(value: str) -> str:
    """``value`` if VictoriaLogs takes it as a retention, else a ConfigError naming the flag."""
    if not _RETENTION.match(value) or (value.endswith("h") and int(value[:-1]) < 24):
        raise ConfigError(
            "--logs-retention", "value", f"a duration of 1d or more (7d, 4w, 1y), not {value!r}"
        )
    return value


def data_path(settings: StackSettings) -> Path:
    """Where VictoriaLogs keeps its data: one directory under the stack's data dir."""
    return settings.data_dir / cv.VICTORIALOGS / "data"


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    argv = [
        str(binaries["victoria-logs"]),
        f"-httpListenAddr={settings.hostport('victorialogs')}",
        f"-storageDataPath={data_path(settings)}",
        f"-retentionPeriod={check_retention(settings.logs_retention)}",
    ]
    return [
        ComponentSpec(
            cv.VICTORIALOGS,
            argv,
            {},
            settings.url("victorialogs") + cv.VICTORIALOGS_HEALTH_PATH,
            port_keys(cv.VICTORIALOGS),
            settings.url("victorialogs") + cv.VICTORIALOGS_UI_PATH,
            lambda: data_path(settings).mkdir(parents=True, exist_ok=True),
            stage=STAGE,
        )
    ]
