"""The console: the web app rendering the dashboards and traces, and its same-origin proxy to
the backends (:mod:`kansoku.console`). Listed first, so its URL is the first one printed."""

from __future__ import annotations

import sys
from pathlib import Path

from kansoku import conventions as cv
from kansoku.console import assets
from kansoku.stack.components.spec import ComponentSpec, StackSettings, port_keys

BINARIES: tuple[str, ...] = ()
# It only forwards requests, so it needs no backend to start (a backend still starting answers
# 502 through it until it is up).
STAGE = 0


def _check_assets() -> None:
    assets.resolve()  # a clear error before anything starts when the app is not built


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    url = settings.url(cv.CONSOLE)
    return [
        ComponentSpec(
            cv.CONSOLE,
            [sys.executable, "-m", "kansoku.console"],
            {},
            url + cv.CONSOLE_DASHBOARDS_PATH + "/index.json",
            port_keys(cv.CONSOLE),
            url,
            prepare=_check_assets,
            stage=STAGE,
        )
    ]
