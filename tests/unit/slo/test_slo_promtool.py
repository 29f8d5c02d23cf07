"""The real promtool accepts every generated rule file and passes every generated test.

promtool comes from ``kansoku tools install`` (``make test`` builds it first); when it is
missing these tests fail, they never skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from kansoku.slo import pipeline, promtool

GOLDEN = REPO / "tests" / "golden" / "slo"
ROOTS = [REPO, *sorted(p / "expected" for p in GOLDEN.iterdir() if (p / "expected").is_dir())]


def _ids(root: Path) -> str:
    return "shop" if root == REPO else root.parent.name


@pytest.mark.parametrize("root", ROOTS, ids=_ids)
def test_promtool_check_rules_is_clean(root: Path) -> None:
    rules = sorted((root / pipeline.RULES_DIR).glob("slo-*.yaml"))
    assert rules
    result = promtool.check_rules(rules)
    assert result.ok, result.output
    assert result.output.count("SUCCESS") == len(rules)


@pytest.mark.parametrize("root", ROOTS, ids=_ids)
def test_generated_rule_tests_pass_in_promtool(root: Path) -> None:
    tests = sorted((root / pipeline.TESTS_DIR).glob("slo-*.test.yaml"))
    assert tests
    result = promtool.run_tests(tests)
    assert result.ok, result.output
    assert result.output.count("SUCCESS") == len(tests)


def test_promtool_fails_a_rule_file_with_a_wrong_threshold(tmp_path: Path) -> None:
    """The generated tests would catch a hand-edited threshold (they can fail)."""
    name = "slo-shop-backend-availability"
    rules_dir, tests_dir = tmp_path / "rules", tmp_path / "rules" / "tests"
    tests_dir.mkdir(parents=True)
    text = (REPO / pipeline.RULES_DIR / f"{name}.yaml").read_text()
    (rules_dir / f"{name}.yaml").write_text(text.replace("> 0.0144", "> 0.0155"))
    test = f"{name}.alerts-1m.test.yaml"
    (tests_dir / test).write_text((REPO / pipeline.TESTS_DIR / test).read_text())
    result = promtool.run_tests([tests_dir / test])
    assert not result.ok
    assert "FAILED" in result.output
