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
    """A real Kubernetes control plane: on loopback with simulated (kwok) nodes, or with
    --real-node, one node running real containers inside a network namespace of its own."""


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
@click.option(
    "--real-node",
    is_flag=True,
    help="One node with real containers (containerd, runc, kubelet, kube-proxy, CoreDNS, "
    "kube-router's NetworkPolicy firewall) inside a new network namespace; needs root. "
    "--dir defaults to a fixed folder so 'kansoku cluster down' finds it.",
)
@click.option(
    "--image",
    "images",
    multiple=True,
    help="With --real-node: also load this image of 'kansoku images list' (repeatable).",
)
def up(
    directory: Path | None, overlay: str | None, real_node: bool, images: tuple[str, ...]
) -> None:
    """Start etcd, the API server, controller manager, scheduler and kwok; Ctrl-C stops them.

    Every listener is on 127.0.0.1 (ports picked free); certificates are made for this run.
    No image is pulled and no container runs: kwok marks the scheduled pods Running.
    With --real-node, real containers run on one node instead (see docs/kubernetes.md).
    """
    if real_node:
        if overlay:
            raise click.UsageError(
                "--apply is for the simulated nodes; with --real-node use kubectl"
            )
        from kansoku.cluster.nodecommand import up_real_node

        up_real_node(directory, images)
        return
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


@cluster.command("down")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The folder of the node [default: the one 'cluster up --real-node' uses].",
)
def down(directory: Path | None) -> None:
    """Stop the node of 'cluster up --real-node' (from any terminal) and undo every change."""
    from kansoku.cluster.nodecommand import down_real_node

    down_real_node(directory)
