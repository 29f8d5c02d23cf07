"""``kansoku images build | list | prune`` over the library, with a cache of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kansoku.cli import cli


@pytest.fixture(autouse=True)
def image_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KANSOKU_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_build_prints_each_archive_with_its_size_and_list_shows_it(image_cache: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(cli, ["images", "build", "pause"])
    assert built.exit_code == 0, built.output
    [row] = [ln for ln in built.output.splitlines() if ln.startswith("localhost/pause:3.10")]
    size, archive = re.search(r"(\d+\.\d MiB) .* (\S+\.tar)$", row).groups()  # type: ignore[union-attr]
    assert Path(archive).is_file()
    assert Path(archive).is_relative_to(image_cache / "images")
    assert f"{Path(archive).stat().st_size / (1 << 20):.1f} MiB" == size
    listed = runner.invoke(cli, ["images", "list"])
    [line] = [ln for ln in listed.output.splitlines() if ln.startswith("localhost/pause:3.10")]
    assert size in line
    assert "localhost/probe:dev" in listed.output


def test_an_unknown_image_exits_6_naming_the_known_ones() -> None:
    result = CliRunner().invoke(cli, ["images", "build", "grafana"])
    assert result.exit_code == 6
    assert "'grafana' is not an image kansoku builds" in result.output
    assert "kansoku/shop-backend:dev" in result.output
