"""``kansoku tools install [BINARIES]``: an unknown name is an error naming what exists."""

from __future__ import annotations

from click.testing import CliRunner

from kansoku.cli import cli


def test_an_unknown_binary_is_refused_before_anything_is_built() -> None:
    result = CliRunner().invoke(cli, ["tools", "install", "otelcol-contrib"])
    assert result.exit_code != 0
    assert "no pinned binary named otelcol-contrib" in result.output
    assert "otelcol-kansoku" in result.output  # the names that do exist
