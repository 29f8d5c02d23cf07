"""SLO generation as an ordered pipeline of small named stages, then rendering to files.

    validate -> SLI queries -> recording rules -> alerts -> promtool tests -> dashboard

Each stage reads what earlier ones left in a :class:`Build` and adds its own part; each can be
run and tested alone. Rendering is deterministic: stable order, decimal literals, identical
bytes on every run, and a header naming the spec each file was generated from.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import yaml

from kansoku import conventions as cv
from kansoku.dashboards import import_builders
from kansoku.errors import ConfigError
from kansoku.slo import promql, rules, ruletests, validate
from kansoku.slo.spec import SLO, decimal_literal, format_duration

RULES_DIR = PurePosixPath("config/prometheus/rules")
TESTS_DIR = RULES_DIR / "tests"
DASHBOARD = PurePosixPath("config/grafana/dashboards") / cv.DASHBOARD_SLO_FILE
COMMAND = "kansoku slo generate"


@dataclass
class Build:
    """What the stages have produced so far, keyed by SLO id."""

    slos: list[SLO]
    ratios: dict[str, dict[int, str]] = field(default_factory=dict)
    recording: dict[str, list[rules.Rule]] = field(default_factory=dict)
    alerts: dict[str, list[rules.Rule]] = field(default_factory=dict)
    tests: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    dashboard: dict[str, Any] = field(default_factory=dict)


def stage_validate(build: Build) -> None:
    build.slos = validate.validate(build.slos)


def stage_sli(build: Build) -> None:
    build.ratios = {s.id: {w: promql.error_ratio(s, w) for w in s.windows} for s in build.slos}


def stage_recording_rules(build: Build) -> None:
    build.recording = {s.id: rules.recording_rules(s, build.ratios[s.id]) for s in build.slos}


def stage_alerts(build: Build) -> None:
    build.alerts = {s.id: rules.alert_rules(s) for s in build.slos}


def stage_rule_tests(build: Build) -> None:
    build.tests = {s.id: test_files(s) for s in build.slos}


def test_files(slo: SLO) -> dict[str, dict[str, Any]]:
    """promtool test files of ``slo`` by file name (they sit one level below the rules)."""
    stem, rule_file = f"{cv.SLO_RULE_FILE_PREFIX}{slo.id}", f"../{rule_file_name(slo)}"
    files = {
        f"{stem}.alerts-{format_duration(step)}.test.yaml": doc
        for step, doc in ruletests.alert_test_files(slo, rule_file).items()
    }
    files.update(
        {
            f"{stem}.budget-{format_duration(step)}.test.yaml": doc
            for step, doc in ruletests.budget_test_files(slo, rule_file).items()
        }
    )
    return files


def stage_dashboard(build: Build) -> None:
    board = import_builders("kansoku.dashboards.slo").slo_dashboard(build.slos)
    build.dashboard = import_builders("kansoku.dashboards.render.grafana").render(board)


STAGES: tuple[tuple[str, Callable[[Build], None]], ...] = (
    ("validate", stage_validate),
    ("SLI queries", stage_sli),
    ("recording rules", stage_recording_rules),
    ("alerts", stage_alerts),
    ("promtool tests", stage_rule_tests),
    ("dashboard", stage_dashboard),
)


def run(slos: Sequence[SLO]) -> Build:
    """Every stage, in order."""
    build = Build(list(slos))
    for _, stage in STAGES:
        stage(build)
    return build


def rule_file_name(slo: SLO) -> str:
    return f"{cv.SLO_RULE_FILE_PREFIX}{slo.id}.yaml"


def render(build: Build) -> dict[PurePosixPath, str]:
    """Every generated file, by its path relative to the checkout, in a stable order."""
    files: dict[PurePosixPath, str] = {}
    for slo in build.slos:
        origin = f"{slo.source} ({slo.where}: SLO {slo.id})"
        doc = rules.rule_file(slo, build.recording[slo.id], build.alerts[slo.id])
        files[RULES_DIR / rule_file_name(slo)] = header(origin, "Prometheus rules") + dump(doc)
        for name, test in build.tests[slo.id].items():
            files[TESTS_DIR / name] = header(origin, "promtool rule tests") + dump(test)
    files[DASHBOARD] = json.dumps(build.dashboard, indent=2, sort_keys=True) + "\n"
    return files


def generate(
    slos: Sequence[SLO],
    *,
    runbook_base_url: str = cv.RUNBOOK_BASE_URL,
    dashboard_base_url: str = cv.DASHBOARD_BASE_URL,
) -> dict[PurePosixPath, str]:
    """Run the pipeline and render it; the alerts' links start with the base URLs given."""
    for name, base in (("runbook", runbook_base_url), ("dashboard", dashboard_base_url)):
        if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", base):
            raise ConfigError(f"--{name}-base-url", base, "an absolute http(s) URL")
    linked = [
        dataclasses.replace(
            s, runbook_base_url=runbook_base_url, dashboard_base_url=dashboard_base_url
        )
        for s in slos
    ]
    return render(run(linked))


def header(origin: str, what: str) -> str:
    return (
        f"# {what}, generated by `{COMMAND}` from {origin}.\n"
        "# Do not edit: change the spec and regenerate (docs/slo.md); a test fails while "
        "this file is stale.\n"
    )


class _Dumper(yaml.SafeDumper):
    """Block style, spec order, multi-line strings as ``|`` blocks, decimals as literals."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # spell shared label sets out; anchors make rule files hard to read


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:float", decimal_literal(value))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Decimal, _decimal)


def dump(doc: Any) -> str:
    return yaml.dump(
        doc,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        width=1000,
        allow_unicode=True,
    )
