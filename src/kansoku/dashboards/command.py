"""``kansoku dashboards``: generate the dashboards (Grafana and Perses JSON); check they are
current and parse.

Thin over the library: :mod:`kansoku.dashboards.catalog` builds and compares the files,
:mod:`kansoku.dashboards.queries` runs ``promtool`` over every expression.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import click

from kansoku import locations
from kansoku.dashboards import import_builders, queries
from kansoku.errors import VerifyError

_ROOT = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="Checkout to write into or check (default: this one).",
)


def _root(given: Path | None) -> Path:
    return given if given is not None else locations.project_root()


def _catalog() -> ModuleType:
    return import_builders("kansoku.dashboards.catalog")


@click.group("dashboards")
def dashboards() -> None:
    """Dashboards as code: one Python definition each becomes Grafana JSON
    (config/grafana/dashboards/) and Perses JSON for the console (config/console/dashboards/)."""


@dashboards.command("generate")
@_ROOT
def generate(root: Path | None) -> None:
    """Write both renderings (the SLO Grafana JSON comes from 'kansoku slo generate')."""
    catalog = _catalog()
    changed = catalog.write(_root(root))
    for path in changed:
        click.echo(f"wrote {path}")
    click.echo(f"{len(catalog.generate())} dashboard files generated, {len(changed)} changed")


@dashboards.command("check")
@_ROOT
@click.option(
    "--promtool/--no-promtool",
    "use_promtool",
    default=True,
    help="Also parse every PromQL expression with promtool (default: on).",
)
def check(root: Path | None, use_promtool: bool) -> None:
    """Fail when a committed dashboard is stale, or when promtool rejects an expression."""
    catalog = _catalog()
    base = _root(root)
    problems = catalog.drift(base)
    if problems:
        raise VerifyError(
            f"dashboards differ from the code; run '{catalog.COMMAND}':\n  " + "\n  ".join(problems)
        )
    click.echo(f"{len(catalog.generate())} dashboard files are current")
    if not use_promtool:
        return
    exprs = []
    for board in catalog.BOARDS:
        data = catalog.load(base, board)
        values = queries.placeholders(data)
        exprs += [queries.expand(t.expr, values) for t in queries.prometheus_targets(data)]
    result = queries.check_with_promtool(exprs)
    if not result.ok:
        raise VerifyError(f"promtool check rules rejected a dashboard query:\n{result.output}")
    click.echo(f"promtool: {len(exprs)} expressions parse")
