"""The cost curve drawn from the ramp's JSON, and the commands that make it."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner
from ramp_samples import ramp

from kansoku import conventions as cv
from kansoku import locations
from kansoku.bench import plot, rampreport
from kansoku.bench.command import bench
from kansoku.bench.report import write_json
from kansoku.errors import ConfigError


def _ramp_file(tmp_path: Path) -> Path:
    out = tmp_path / "ramp.json"
    result = rampreport.result(ramp(), rampreport.Autoscaling(0.7, 0.1))
    write_json(out, [result], ["kansoku", "bench", "capacity", "--ramp"])
    return out


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_series_put_each_phase_on_every_panel_and_mark_the_failed_step(tmp_path: Path) -> None:
    panels = plot.series(plot.load_ramp(_ramp_file(tmp_path)))
    assert [s.label for s in panels["collector"]] == ["spans", "mixed"]
    spans = panels["cost"][0]
    assert spans.x == pytest.approx([10_000, 20_000, 40_000])
    assert spans.failed == [False, False, True]
    assert spans.y[1] == pytest.approx(1e6 * 0.4 / 20_000)
    stores = [s.label for s in panels["stores"]]
    assert stores == [f"{cv.JAEGER} (spans)", *(f"{s} (mixed)" for s in plot.ALL_STORES)]
    assert panels["rss"][0].label == "collector (spans)"


def test_draw_writes_a_png_of_the_four_panels(tmp_path: Path) -> None:
    png = plot.draw(plot.load_ramp(_ramp_file(tmp_path)), tmp_path / "images" / "ramp.png")
    assert _png_size(png) == (1200, 800)


def test_load_ramp_names_the_file_without_a_ramp(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"results": [{"scenario": "capacity", "details": {}}]}))
    with pytest.raises(ConfigError, match=r"other\.json: results: a capacity-ramp result"):
        plot.load_ramp(other)


def test_bench_plot_remakes_the_png_from_the_json(tmp_path: Path) -> None:
    png = tmp_path / "curve.png"
    result = CliRunner().invoke(bench, ["plot", str(_ramp_file(tmp_path)), str(png)])
    assert result.exit_code == 0, result.output
    assert _png_size(png) == (1200, 800)


def test_capacity_ramp_refuses_a_plot_without_json_and_bad_steps() -> None:
    runner = CliRunner()
    no_json = runner.invoke(bench, ["capacity", "--ramp", "--plot", "x.png"])
    assert no_json.exit_code == 2
    assert "needs --output" in no_json.output
    falling = runner.invoke(bench, ["capacity", "--ramp", "--multipliers", "2,1"])
    assert falling.exit_code == 2
    assert "strictly increasing" in falling.output
    words = runner.invoke(bench, ["capacity", "--ramp", "--multipliers", "one,two"])
    assert words.exit_code == 2
    assert "expected numbers" in words.output


def test_the_committed_curve_is_drawn_from_the_committed_json(tmp_path: Path) -> None:
    from matplotlib.testing.compare import compare_images

    images = locations.project_root() / "docs" / "images"
    drawn = plot.draw(plot.load_ramp(images / "capacity-ramp.json"), tmp_path / "ramp.png")
    differs = compare_images(str(images / "capacity-ramp.png"), str(drawn), tol=2)
    assert differs is None, (
        f"{differs}\nredraw it: kansoku bench plot docs/images/capacity-ramp.json "
        "docs/images/capacity-ramp.png"
    )
