"""The record of a running node (``<dir>/node.json``) and the teardown that reads it.

``kansoku cluster down`` works from another terminal with nothing but this file: it asks the
process that started the node to stop it, and if that process is gone, tears down from the
record itself. Every step only touches what the record names: processes by PID (checked against
their command line), the shims of the node's own containerd socket, mounts under its folder, its
network namespace, and the cgroups and host paths that did not exist before it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kansoku.cluster import hostchanges
from kansoku.cluster.hostchanges import HostChanges
from kansoku.cluster.netns import Namespace
from kansoku.errors import NotRunningError
from kansoku.stack import state as st

RECORD = "node.json"


@dataclass
class NodeRecord:
    directory: str
    netns: str
    owner_pid: int  # the process that started the node and stops it
    containerd_socket: str
    ctr: str
    host: HostChanges = field(default_factory=HostChanges)
    status: str = "starting"  # starting, ready, stopping, stopped

    @property
    def path(self) -> Path:
        return Path(self.directory) / RECORD

    def save(self) -> None:
        data = {**self.__dict__, "host": self.host.to_json()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.path)

    @classmethod
    def load(cls, directory: Path) -> NodeRecord:
        path = directory / RECORD
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise NotRunningError(f"no node was started under {directory} ({exc})") from exc
        return cls(**{**data, "host": HostChanges.from_json(data["host"])})


def remove_containers(record: NodeRecord) -> None:
    """Every task and container of the node's containerd, then any shim that outlived it."""
    ctr = [record.ctr, f"--address={record.containerd_socket}", "-n", "k8s.io"]
    if Path(record.containerd_socket).exists():
        for kind, kill in (("tasks", True), ("containers", False)):
            listing = subprocess.run(
                [*ctr, kind, "list", "-q"], capture_output=True, text=True, check=False, timeout=60
            )
            for item in listing.stdout.split():
                if kill:
                    _quiet([*ctr, "tasks", "kill", "-s", "KILL", item])
                    _quiet([*ctr, "tasks", "delete", "-f", item])
                else:
                    _quiet([*ctr, "containers", "delete", item])
    kill_shims(record)


def kill_shims(record: NodeRecord) -> None:
    for pid in hostchanges.shims_of(Path(record.containerd_socket)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _quiet(argv: list[str]) -> None:
    subprocess.run(argv, capture_output=True, check=False, timeout=60)


def _kill_recorded(directory: Path, only: tuple[str, ...] = ()) -> None:
    """Processes of the supervisor's state (``only`` these, if given) that still run from the
    node's folder."""
    try:
        state = st.read(directory)
    except NotRunningError:
        return
    for comp in state.components.values():
        if only and comp.name not in only:
            continue
        if comp.pid and st.pid_alive(comp.pid) and _runs_from(comp.pid, directory):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(comp.pid, signal.SIGKILL)


def _runs_from(pid: int, directory: Path) -> bool:
    """Whether ``pid`` is still one of the node's processes (its arguments name the folder)."""
    try:
        return str(directory).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def finish(record: NodeRecord) -> list[str]:
    """The steps after the processes stopped: containers, mounts, namespace, host state."""
    directory = Path(record.directory)
    _kill_recorded(directory, only=("kubelet",))  # first: nothing restarts the pods
    remove_containers(record)  # while containerd runs, if it still does
    _kill_recorded(directory)
    kill_shims(record)
    problems = hostchanges.unmount_under(directory)
    Namespace(record.netns).delete()
    problems += record.host.undo(directory)
    record.status = "stopped"
    record.save()
    return problems


def down(directory: Path, timeout: float = 120.0) -> list[str]:
    """Stop the node recorded under ``directory``, from any process."""
    record = NodeRecord.load(directory)
    if record.status == "stopped":
        return []
    owner = record.owner_pid
    if owner != os.getpid() and st.pid_alive(owner):
        os.kill(owner, signal.SIGTERM)  # its own teardown runs, the same steps as below
        deadline = time.monotonic() + timeout
        while st.pid_alive(owner) and time.monotonic() < deadline:
            time.sleep(0.2)
        record = NodeRecord.load(directory)
        if record.status == "stopped":
            return []
    return finish(record)
