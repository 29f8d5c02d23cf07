"""Run the pinned amtool on the committed Alertmanager configuration (a missing binary fails)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kansoku import locations
from kansoku.tools import lookup

CONFIG_DIR = locations.config_dir() / "alertmanager"
CONFIG = CONFIG_DIR / "alertmanager.yaml"


def amtool(*args: str, cwd: Path = CONFIG_DIR) -> subprocess.CompletedProcess[str]:
    binary = lookup.resolve("amtool").path
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, timeout=60, check=False, cwd=cwd
    )


def route(labels: dict[str, str], config: Path = CONFIG) -> list[str]:
    """The receivers an alert with ``labels`` reaches, as amtool's route test prints them."""
    proc = amtool(
        "config",
        "routes",
        "test",
        f"--config.file={config}",
        *(f"{k}={v}" for k, v in labels.items()),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip().split(",")
