"""The CLI without the development dependencies (as in the images and a plain install).

``kansoku up`` and ``kansoku tools`` must not need grafana-foundation-sdk; the dashboard
commands must say what is missing instead of printing a traceback.
"""

from __future__ import annotations

import subprocess
import sys

_RUN_WITHOUT_SDK = (
    "import sys; sys.modules['grafana_foundation_sdk'] = None; "  # any import of it fails
    "from kansoku.cli import main; sys.argv = ['kansoku', *sys.argv[1:]]; main()"
)


def _kansoku(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUN_WITHOUT_SDK, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_core_commands_run_without_the_dashboard_sdk() -> None:
    result = _kansoku("tools", "manifest", "--check")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    listing = _kansoku("--help")  # every command group registers without the SDK
    assert listing.returncode == 0, listing.stderr
    assert {"up", "tools", "dashboards", "slo"} <= {
        line.split()[0] for line in listing.stdout.splitlines() if line.startswith("  ")
    }


def test_dashboard_commands_name_the_missing_dependency() -> None:
    result = _kansoku("dashboards", "check", "--no-promtool")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "needs grafana-foundation-sdk" in result.stderr
    assert "uv sync" in result.stderr
