"""`kansoku up` imports only what starting the stack needs: its start-up is on the clock."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from kansoku.cli import cli
from kansoku.lazycommands import LazyGroup

# Heavy packages the stack's start does not use (measured with python -X importtime).
HEAVY = ("fastapi", "httpx", "grpc", "google.protobuf", "opentelemetry", "kansoku.bench", "rich")


def test_the_cli_module_imports_no_heavy_package() -> None:
    code = (
        "import json, sys; from kansoku.cli import cli; "
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(out.stdout)
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]
    assert heavy == []


def test_a_lazy_group_is_imported_when_it_runs_and_listed_in_help() -> None:
    runner = CliRunner()
    listing = runner.invoke(cli, ["--help"])
    assert listing.exit_code == 0
    for name in ("bench", "verify", "slo", "dashboards", "alerts", "cluster", "images", "up"):
        assert f"  {name} " in listing.output
    result = runner.invoke(cli, ["bench", "capacity", "--help"])
    assert result.exit_code == 0
    assert "--ramp" in result.output


def test_a_lazy_entry_that_is_not_a_command_is_refused() -> None:
    group = LazyGroup("g", lazy={"bad": "kansoku.conventions:COLLECTOR"})
    with pytest.raises(TypeError, match="is not a click command"):
        group.get_command(click.Context(group), "bad")
