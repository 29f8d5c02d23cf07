"""Helpers shared by the SLO tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from kansoku.slo import loader

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def write_spec(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write YAML text to a spec file and return its path."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def one_slo(body: str, service: str = "shop-backend") -> str:
    """A spec file with one SLO whose YAML body (indented 4) is given."""
    return f"service: {service}\nslos:\n  - name: s\n{body}"


def shop_slos() -> list[loader.SLO]:
    return loader.load_dir(REPO / "config" / "slo")
