"""Grafana dashboards as code (``kansoku dashboards``, and the SLO dashboard of ``kansoku slo``).

The builders need grafana-foundation-sdk, a development dependency: ``kansoku up``, the tools
and the images run without it, so the builder modules are imported only when a command needs
them, through :func:`import_builders`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from kansoku.errors import KansokuError

_SDK = "grafana_foundation_sdk"


def import_builders(module: str) -> ModuleType:
    """Import a dashboard builder module; a clear error when the SDK is not installed."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(_SDK):
            raise
        raise KansokuError(
            "building dashboards needs grafana-foundation-sdk, a development dependency "
            f"({exc.name} could not be imported); install it with 'uv sync', or run through "
            "'make'"
        ) from exc
