"""The ``kansoku`` command: thin option parsing over the library, errors mapped to exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from kansoku import __version__, locations
from kansoku import conventions as cv
from kansoku.errors import KansokuError
from kansoku.lazycommands import LazyGroup
from kansoku.stack import components, local, ports
from kansoku.stack import state as st
from kansoku.stack.table import render, stack_table
from kansoku.tools import lookup, versions, webui

F = TypeVar("F", bound=Callable[..., Any])


def _err(message: str) -> None:
    click.echo(message, err=True)


def handle_errors(func: F) -> F:
    """Turn a ``KansokuError`` into a one-paragraph message and its exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KansokuError as exc:
            _err(f"error: {exc}")
            sys.exit(exc.exit_code)

    return cast(F, wrapper)


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the local stack keeps its data and logs "
    "[default: $KANSOKU_DATA_DIR or ~/.local/share/kansoku].",
)


def _data_dir(value: Path | None) -> Path:
    return (value or locations.default_data_dir()).resolve()


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    # Imported only when run: `kansoku up` does not pay for the bench's or verify's imports.
    lazy={
        "verify": "kansoku.verify.command:verify",
        "slo": "kansoku.slo.command:slo",
        "dashboards": "kansoku.dashboards.command:dashboards",
        "bench": "kansoku.bench.command:bench",
        "alerts": "kansoku.alerting.command:alerts",
        "cluster": "kansoku.cluster.command:cluster",
        "images": "kansoku.images.command:images",
    },
)
@click.version_option(__version__, prog_name="kansoku")
def cli() -> None:
    """kansoku: an OpenTelemetry-centred observability stack, locally and on Kubernetes."""


# --- tools ------------------------------------------------------------------------------


@cli.group()
def tools() -> None:
    """The pinned upstream binaries (collector, Prometheus, promtool, Jaeger, ...) and UIs."""


@tools.command("install")
@click.argument("binaries", nargs=-1)
@click.option(
    "--stack",
    is_flag=True,
    help="Only what 'kansoku up' runs: the stack's binaries, their web UIs and the console "
    "(not the test-only tools such as the Kubernetes control plane).",
)
@click.option(
    "--cluster",
    is_flag=True,
    help="Only the control plane the cluster tests start: etcd, the Kubernetes binaries, "
    "kwok and the CRDs they apply.",
)
@handle_errors
def tools_install(binaries: tuple[str, ...], stack: bool, cluster: bool) -> None:
    """Build the pinned BINARIES (default: all, the web UIs such as prometheus-ui, and the
    console) that are missing into the cache; 'console' builds the console's web app."""
    from kansoku.console import assets

    if sum((bool(binaries), stack, cluster)) > 1:
        raise KansokuError("give one of BINARIES, --stack or --cluster")
    if stack:
        uis = tuple(r.name for r in webui.recipes(versions.load()))
        binaries = (*components.needed_binaries(), *uis, cv.CONSOLE)
    if cluster:
        from kansoku.cluster import controlplane, crds

        binaries = (*controlplane.TOOLS, *crds.TOOLS)
    rows = []
    go_binaries = tuple(b for b in binaries if b != cv.CONSOLE)
    if go_binaries or not binaries:
        resolved = lookup.install(go_binaries, progress=_err)
        rows = [[r.binary, r.source, str(r.path)] for r in resolved]
    if cv.CONSOLE in binaries or not binaries:
        rows.append([cv.CONSOLE, "cache", str(assets.install(progress=_err))])
    click.echo(render(["binary", "source", "path"], rows))


@tools.command("list")
@handle_errors
def tools_list() -> None:
    """Show the pinned versions and where each binary would come from."""
    pinned = versions.load()
    rows = []
    for tool in pinned.tools.values():
        for binary in tool.binaries:
            try:
                where = str(lookup.resolve(binary, versions=pinned).path)
            except KansokuError:
                where = "(not installed)"
            rows.append([binary, tool.release, f"{tool.module}@{tool.version}", where])
        if tool.method == "files":  # data only, e.g. CRDs: its cache entry
            entry = lookup.cache_entry(tool)
            where = str(entry) if entry.is_dir() else "(not installed)"
            rows.append(
                [f"{tool.name} (files)", tool.release, f"{tool.module}@{tool.version}", where]
            )
    for ui in webui.recipes(pinned):
        built = webui.installed(ui)
        source = f"{ui.tool.module}@{ui.tool.version}/{ui.source}"
        rows.append([ui.name, ui.tool.release, source, str(built or "(not installed)")])
    click.echo(render(["binary", "release", "module", "path"], rows))


@tools.command("manifest")
@click.option("--check", is_flag=True, help="Fail if the committed manifest is stale.")
@handle_errors
def tools_manifest(check: bool) -> None:
    """Write tools/otelcol-builder.yaml from tools/versions.yaml."""
    text = versions.render_manifest(versions.load())
    path = versions.manifest_file()
    if check:
        if not path.exists() or path.read_text() != text:
            raise KansokuError(f"{path} is stale; run 'kansoku tools manifest'")
        click.echo(f"{path} is up to date")
        return
    path.write_text(text)
    click.echo(f"wrote {path}")


# --- local stack ------------------------------------------------------------------------


@cli.command()
@data_dir_option
@click.option(
    "--port",
    "port_overrides",
    multiple=True,
    metavar="KEY=PORT",
    help="Override a port (repeatable); keys: "
    "see 'kansoku status --ports'. Env: KANSOKU_PORT_<KEY>.",
)
@click.option(
    "--bind-address",
    default="127.0.0.1",
    show_default=True,
    envvar="KANSOKU_BIND_ADDRESS",
    help="Address every component listens on.",
)
@click.option(
    "--services/--no-services", default=True, show_default=True, help="Run the shop services."
)
@click.option(
    "--loadgen/--no-loadgen",
    default=True,
    show_default=True,
    help="Run the load generator (needs --services).",
)
@click.option(
    "--jaeger-storage",
    type=click.Choice(components.JAEGER_STORAGES),
    default="memory",
    show_default=True,
    help="Jaeger's trace storage (opensearch: a local OpenSearch node, docs/traces.md).",
)
@click.option(
    "--opensearch-heap",
    default=components.OPENSEARCH_HEAP,
    show_default=True,
    envvar="KANSOKU_OPENSEARCH_HEAP",
    help="OpenSearch's JVM heap with --jaeger-storage opensearch.",
)
@click.option(
    "--traces-retention-days",
    default=components.TRACES_RETENTION_DAYS,
    show_default=True,
    type=int,
    help="Days of traces kept with --jaeger-storage opensearch (old daily indices go hourly).",
)
@click.option("--collector-debug", is_flag=True, help="Add the debug exporter to the collector.")
@click.option(
    "--retention",
    default=components.PROMETHEUS_RETENTION,
    show_default=True,
    help="Prometheus retention time.",
)
@click.option(
    "--logs-retention",
    default=components.LOGS_RETENTION,
    show_default=True,
    help="VictoriaLogs retention (1d or more, e.g. 7d, 4w).",
)
@click.option("--fresh", is_flag=True, help="Wipe the data dir before starting.")
@click.option("--detach", is_flag=True, help="Run in the background; stop with 'kansoku down'.")
@handle_errors
def up(
    data_dir: Path | None,
    port_overrides: tuple[str, ...],
    bind_address: str,
    services: bool,
    loadgen: bool,
    jaeger_storage: str,
    opensearch_heap: str,
    traces_retention_days: int,
    collector_debug: bool,
    retention: str,
    logs_retention: str,
    fresh: bool,
    detach: bool,
) -> None:
    """Run the whole stack on this machine; Ctrl-C stops it cleanly."""
    settings = components.StackSettings(
        data_dir=_data_dir(data_dir),
        ports=ports.resolve_ports(port_overrides),
        bind_address=bind_address,
        services=services,
        loadgen=loadgen and services,
        jaeger_storage=jaeger_storage,
        opensearch_heap=opensearch_heap,
        traces_retention_days=traces_retention_days,
        collector_debug=collector_debug,
        retention=retention,
        logs_retention=logs_retention,
    )
    specs = local.prepare(settings, fresh=fresh, report=_err)
    if detach:
        argv = [a for a in sys.argv[1:] if a not in ("--detach", "--fresh")]
        argv += ["--data-dir", str(settings.data_dir)]
        ready = local.spawn_detached(argv, settings.data_dir, report=_err)
        click.echo(stack_table(ready))
        click.echo(
            "\nstop it with: kansoku down"
            + (f" --data-dir {settings.data_dir}" if data_dir else "")
        )
        return

    def on_ready(state: st.StackState) -> None:
        click.echo(stack_table(state))
        click.echo("\nthe stack is ready; Ctrl-C stops it", err=True)

    local.run_foreground(settings, specs, report=_err, on_ready=on_ready)


@cli.command()
@data_dir_option
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for a stop.")
@handle_errors
def down(data_dir: Path | None, timeout: float) -> None:
    """Stop the stack started with --detach (or any stack under the data dir)."""
    final = local.down(_data_dir(data_dir), timeout=timeout, report=_err)
    click.echo(stack_table(final))


@cli.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
@click.option("--ports", "list_ports", is_flag=True, help="List the port keys and defaults.")
@handle_errors
def status(data_dir: Path | None, as_json: bool, list_ports: bool) -> None:
    """Show what runs where; exits 4 when no stack runs or a component is down."""
    if list_ports:
        click.echo(
            render(
                ["key", "component", "default", "env", "purpose"],
                [[p.key, p.component, str(p.default), p.env, p.purpose] for p in cv.PORTS],
            )
        )
        return
    current = local.status(_data_dir(data_dir))
    if as_json:
        click.echo(json.dumps(current.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(stack_table(current))
    healthy = current.status == "ready" and all(
        c.status == "ready" for c in current.components.values()
    )
    if not healthy:
        sys.exit(4)


def main() -> None:
    # Subcommand groups raise KansokuError too; one message and its exit code, no traceback.
    try:
        cli()
    except KansokuError as exc:
        _err(f"error: {exc}")
        sys.exit(exc.exit_code)
