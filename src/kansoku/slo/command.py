"""``kansoku slo``: generate SLO rules, rule tests and the SLO dashboard; check them.

Thin over the library: every command is a call into :mod:`kansoku.slo.pipeline`,
:mod:`kansoku.slo.output` and :mod:`kansoku.slo.promtool`.
"""

from __future__ import annotations

from pathlib import Path

import click

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import VerifyError
from kansoku.slo import loader, output, pipeline, promtool


def _spec_dir(given: Path | None) -> Path:
    return given if given is not None else locations.config_dir() / "slo"


def _root(given: Path | None) -> Path:
    return given if given is not None else locations.project_root()


_SPECS = click.option(
    "--spec-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory of SLO specs (default: config/slo).",
)
_ROOT = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="Checkout to write into (default: this one).",
)


_RUNBOOK = click.option(
    "--runbook-base-url",
    default=cv.RUNBOOK_BASE_URL,
    show_default=True,
    help="Where the docs (the runbooks) are served; alerts link to <base>/slo.md#….",
)
_DASHBOARD = click.option(
    "--dashboard-base-url",
    default=cv.DASHBOARD_BASE_URL,
    show_default=True,
    help="Grafana (or the local console); alerts link to <base>/d/<uid>.",
)


@click.group("slo")
def slo() -> None:
    """SLOs as code: specs in config/slo become Prometheus rules, tests and a dashboard."""


@slo.command("generate")
@_SPECS
@_ROOT
@_RUNBOOK
@_DASHBOARD
def generate(
    spec_dir: Path | None, root: Path | None, runbook_base_url: str, dashboard_base_url: str
) -> None:
    """Write rules, promtool tests and the SLO dashboard from the specs."""
    files = pipeline.generate(
        loader.load_dir(_spec_dir(spec_dir)),
        runbook_base_url=runbook_base_url,
        dashboard_base_url=dashboard_base_url,
    )
    changed = output.write(files, _root(root))
    for path in changed:
        click.echo(f"wrote {path}")
    click.echo(f"{len(files)} files generated, {len(changed)} changed")


@slo.command("check")
@_SPECS
@_ROOT
@click.option(
    "--promtool/--no-promtool",
    "use_promtool",
    default=True,
    help="Also run promtool check rules and promtool test rules (default: on).",
)
@_RUNBOOK
@_DASHBOARD
def check(
    spec_dir: Path | None,
    root: Path | None,
    use_promtool: bool,
    runbook_base_url: str,
    dashboard_base_url: str,
) -> None:
    """Fail when generated files are stale, or when promtool rejects them."""
    base = _root(root)
    files = pipeline.generate(
        loader.load_dir(_spec_dir(spec_dir)),
        runbook_base_url=runbook_base_url,
        dashboard_base_url=dashboard_base_url,
    )
    problems = output.drift(files, base)
    if problems:
        raise VerifyError(
            "generated SLO files differ from the specs; run 'kansoku slo "
            "generate':\n  " + "\n  ".join(problems)
        )
    click.echo(f"{len(files)} generated files are current")
    if not use_promtool:
        return
    rules = sorted(base / p for p in files if p.parent == pipeline.RULES_DIR)
    tests = sorted(base / p for p in files if p.parent == pipeline.TESTS_DIR)
    for result in (promtool.check_rules(rules), promtool.run_tests(tests)):
        if not result.ok:
            raise VerifyError(f"promtool {' '.join(result.args[:2])} failed:\n{result.output}")
        click.echo(f"promtool {' '.join(result.args[:2])}: ok ({len(result.args) - 2} files)")
