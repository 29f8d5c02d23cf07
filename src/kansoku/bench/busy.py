"""A busy machine beside a command: N CPU loops and a synchronous disk writer.

``python -m kansoku.bench.busy --cpu 2 -- pytest -m e2e`` (``make test-busy``) runs the command
while N processes spin on the CPU and one rewrites a 256 MiB scratch file with
``dd ... oflag=dsync`` in a loop, so every write waits for the disk. That is the load under
which fsync-heavy parts (the collector's remote-write WAL, its file-backed queue, the
Prometheus TSDB) slow down, and under which a test that waits for a fixed time rather than
for a condition fails. The loops are stopped and the scratch directory removed on every exit,
a Ctrl-C or a SIGTERM included; the command's exit code is returned.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType, TracebackType

SCRATCH_NAME = "scratch"
# 256 MiB of 1 MiB synchronous writes per pass: each write waits for the disk, as a database
# or a WAL under fsync does; the file is rewritten from the start on every pass.
DD_BLOCKS = 256
_CPU_LOOP = "while True: pass"


class BusyLoad:
    """N CPU loops and (optionally) a disk writer, started on enter and stopped on exit."""

    def __init__(self, cpu: int, disk: bool = True, scratch_parent: str | None = None) -> None:
        if cpu < 0:
            raise ValueError(f"--cpu: expected a number of CPU loops >= 0, got {cpu}")
        self.cpu = cpu
        self.disk = disk
        self.scratch_parent = scratch_parent
        self.scratch_dir: Path | None = None
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def scratch_file(self) -> Path | None:
        return self.scratch_dir / SCRATCH_NAME if self.scratch_dir else None

    def describe(self) -> str:
        disk = f"a disk writer (dd oflag=dsync) on {self.scratch_file}" if self.disk else "no disk"
        return f"{self.cpu} busy CPU loop(s) and {disk}"

    def __enter__(self) -> BusyLoad:
        try:
            for _ in range(self.cpu):
                self._spawn([sys.executable, "-c", _CPU_LOOP])
            if self.disk:
                self.scratch_dir = Path(
                    tempfile.mkdtemp(prefix="kansoku-busy-", dir=self.scratch_parent)
                )
                self._spawn(["sh", "-c", _dd_loop(self.scratch_dir / SCRATCH_NAME)])
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()

    def _spawn(self, argv: list[str]) -> None:
        # Its own process group, so that stopping it also stops the dd it runs.
        self.procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True))

    def alive(self) -> int:
        """How many of the load's processes are still running."""
        return sum(1 for p in self.procs if p.poll() is None)

    def stop(self) -> None:
        """Stop every load process (and its children) and remove the scratch directory."""
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.procs:
            proc.wait()
        self.procs.clear()
        if self.scratch_dir is not None:
            shutil.rmtree(self.scratch_dir, ignore_errors=True)
            self.scratch_dir = None


def _dd_loop(path: Path) -> str:
    return (
        "while :; do dd if=/dev/zero "
        f"of='{path}' bs=1M count={DD_BLOCKS} oflag=dsync status=none || exit 1; done"
    )


def run(command: Sequence[str], cpu: int, disk: bool = True) -> int:
    """Run ``command`` with the busy load beside it; its exit code."""
    if not command:
        raise ValueError("no command given: put it after --, e.g. -- pytest -m e2e")
    started = time.monotonic()
    with BusyLoad(cpu, disk) as load:
        print(f"busy: {load.describe()} beside: {' '.join(command)}", flush=True)
        child = subprocess.Popen(list(command))

        def forward(signum: int, _frame: FrameType | None) -> None:
            child.send_signal(signum)

        previous = signal.signal(signal.SIGTERM, forward)
        try:
            code = child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            code = child.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)
        died = len(load.procs) - load.alive()
    minutes = (time.monotonic() - started) / 60
    note = f"; {died} load process(es) had stopped early" if died else ""
    print(f"busy: exit code {code} after {minutes:.1f} min{note}", flush=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kansoku.bench.busy",
        description="Run a command beside N busy CPU loops and a synchronous disk writer.",
    )
    parser.add_argument("--cpu", type=int, default=2, help="busy CPU loops (default 2)")
    parser.add_argument("--no-disk", action="store_true", help="no disk writer")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        return run(command, args.cpu, disk=not args.no_disk)
    except ValueError as exc:
        parser.error(str(exc))  # exits with 2


if __name__ == "__main__":
    sys.exit(main())
