"""``kansoku cluster up``: the control plane of the tests, to try the manifests by hand."""

from __future__ import annotations

import shutil
import signal
import tempfile
from pathlib import Path
from types import FrameType

import click

from kansoku import locations
from kansoku.cluster.controlplane import ControlPlane
from kansoku.cluster.manifests import Target, render
from kansoku.cluster.operations import apply, settle
from kansoku.errors import KansokuError
from kansoku.tools.lookup import resolve


def _err(message: str) -> None:
    click.echo(message, err=True)


@click.group()
def cluster() -> None:
    """A real Kubernetes control plane on loopback with simulated (kwok) nodes."""


@cluster.command("up")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where its certificates, etcd data and logs go [default: a new temporary folder, "
    "removed on exit].",
)
@click.option("--apply", "overlay", default=None, help="Apply this overlay (dev, production).")
def up(directory: Path | None, overlay: str | None) -> None:
    """Start etcd, the API server, controller manager, scheduler and kwok; Ctrl-C stops them.

    Every listener is on 127.0.0.1 (ports picked free); certificates are made for this run.
    No image is pulled and no container runs: kwok marks the scheduled pods Running.
    """
    keep = directory is not None
    root = directory or Path(tempfile.mkdtemp(prefix="kansoku-cluster-"))
    plane = ControlPlane(root.resolve(), report=_err)

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        _err(f"received {signal.Signals(signum).name}; stopping the control plane")
        if plane.supervisor is not None:
            plane.supervisor.stopping.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        plane.start()
        if overlay:
            _apply_overlay(plane, overlay, root)
        click.echo(f"export KUBECONFIG={plane.kubeconfig}")
        _err("the control plane is ready; Ctrl-C stops it")
        plane.watch()
    except KansokuError as exc:
        _err(f"error: {exc}")
        raise SystemExit(exc.exit_code) from exc
    finally:
        plane.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def _apply_overlay(plane: ControlPlane, overlay: str, root: Path) -> None:
    kubernetes = locations.project_root() / "deploy" / "kubernetes"
    rendering = render(resolve("kustomize").path, kubernetes, Target(overlay, overlay), root)
    apply(plane, rendering.text)
    settle(plane, rendering)
    _err(f"applied the {overlay} overlay server-side; every workload rolled out")
