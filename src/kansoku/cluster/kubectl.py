"""The pinned kubectl against one kubeconfig: how the control plane, the real node and the
cluster bench all call it, with one error for a failed command."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Protocol

from kansoku.errors import StackError
from kansoku.tools import lookup


def run(
    kubeconfig: Path,
    *args: str,
    stdin: str | None = None,
    check: bool = True,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``kubectl args`` as the kubeconfig's user; a non-zero exit is a StackError with
    kubectl's own message when ``check``."""
    argv = [str(lookup.resolve("kubectl").path), f"--kubeconfig={kubeconfig}", *args]
    proc = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise StackError(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc


class Kubectl(Protocol):
    """Anything that runs kubectl against one cluster: the control plane, the real node, a
    kubeconfig (``kansoku.bench.kube``)."""

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]: ...
