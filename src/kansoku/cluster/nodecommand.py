"""``kansoku cluster up --real-node`` and ``kansoku cluster down``."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from kansoku import locations
from kansoku.cluster import noderecord, preflight
from kansoku.cluster.realnode import RealNode, node_images
from kansoku.errors import KansokuError


def _err(message: str) -> None:
    click.echo(message, err=True)


def default_directory() -> Path:
    return locations.default_data_dir() / "real-node"


def up_real_node(directory: Path | None, images: tuple[str, ...]) -> None:
    root = (directory or default_directory()).resolve()
    node = RealNode(root, report=_err)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        _err(f"received {signal.Signals(signum).name}; stopping the node")
        stopping.set()
        if node.supervisor is not None:
            node.supervisor.stopping.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        preflight.check()  # before the images are built or anything is changed
        node.start(images=node_images(images))
        _report(node)
        node.watch()
    except KansokuError as exc:
        _err(f"error: {exc}")
        raise SystemExit(exc.exit_code) from exc
    finally:
        if node.record is not None:
            problems = node.stop()
            _err("the node is stopped" + ("" if problems else " and the machine is as it was"))
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _report(node: RealNode) -> None:
    click.echo(f"export KUBECONFIG={node.kubeconfig}")
    _err(
        f"the node is Ready ({node.timings['node_ready']:.1f}s, everything "
        f"{node.timings['all_ready']:.1f}s); "
        f"API server at https://127.0.0.1:{node.api_port} (forwarded into the node's namespace)"
    )
    for name, log in node.component_logs().items():
        _err(f"  {name:<24} log: {log}")
    _err("Ctrl-C or 'kansoku cluster down' stops it")


def down_real_node(directory: Path | None) -> None:
    root = (directory or default_directory()).resolve()
    try:
        problems = noderecord.down(root)
    except KansokuError as exc:
        _err(f"error: {exc}")
        raise SystemExit(exc.exit_code) from exc
    for problem in problems:
        _err(f"warning: {problem}")
    _err(f"the node under {root} is stopped")
