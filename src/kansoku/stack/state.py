"""What a running local stack looks like from outside: ``<data-dir>/run/state.json``.

The supervisor writes it whenever something changes; ``status``, ``down``, ``verify`` and the
tests read it. Writes go through a temporary file and a rename, so a reader never sees half.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kansoku.errors import NotRunningError
from kansoku.stack.ports import client_url


@dataclass
class ComponentState:
    name: str
    pid: int | None = None
    status: str = "pending"  # pending, starting, ready, exited, stopped, failed
    exit_code: int | None = None
    log: str = ""
    ports: list[str] = field(default_factory=list)
    url: str = ""
    detail: str = ""


@dataclass
class StackState:
    data_dir: str
    bind_address: str
    ports: dict[str, int]
    supervisor_pid: int
    status: str = "starting"  # starting, ready, failed, stopping, stopped
    components: dict[str, ComponentState] = field(default_factory=dict)
    started_at: float = 0.0
    ready_at: float | None = None

    def port(self, key: str) -> int:
        return self.ports[key]

    def url(self, key: str) -> str:
        """``http://host:port`` of a port key, e.g. ``url("prometheus")``."""
        return client_url(self.bind_address, self.ports[key])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StackState:
        comps = {k: ComponentState(**v) for k, v in data.pop("components", {}).items()}
        return cls(components=comps, **data)


def state_file(data_dir: Path) -> Path:
    return data_dir / "run" / "state.json"


def write(state: StackState) -> None:
    path = state_file(Path(state.data_dir))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=2))
    os.replace(tmp, path)


def read(data_dir: Path) -> StackState:
    """The stack's last written state; ``NotRunningError`` if there is none."""
    path = state_file(data_dir)
    try:
        return StackState.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise NotRunningError(f"no stack has run under {data_dir} (no {path})") from None
    except (ValueError, TypeError) as exc:
        raise NotRunningError(f"{path} is unreadable: {exc}") from exc


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); look at its state.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def running(data_dir: Path) -> StackState:
    """The state of a stack whose supervisor is alive, else ``NotRunningError``."""
    state = read(data_dir)
    if not pid_alive(state.supervisor_pid) or state.status in ("stopped", "failed"):
        raise NotRunningError(f"no stack is running under {data_dir} (last status: {state.status})")
    return state
