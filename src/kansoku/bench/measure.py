"""What the bench reads off running processes and off the components' own metrics.

``ProcessSampler`` watches CPU time and resident memory of named processes (psutil) in a
background thread; ``MetricsText`` parses a Prometheus text endpoint keeping the labels, so a
counter can be summed for one exporter or receiver only.
"""

from __future__ import annotations

import math
import re
import statistics
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
import psutil

MIB = 1024 * 1024


@dataclass
class ProcessUsage:
    """One process over a sampling window: CPU seconds used and resident memory seen."""

    name: str
    pid: int
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    rss_samples: list[int] = field(default_factory=list)
    # RSS minus its file-backed pages (the mapped executable, mmapped files): the memory only
    # this process holds. A Go binary's own text is much of a collector's RSS (Linux only).
    anon_samples: list[int] = field(default_factory=list)
    gone: bool = False

    @property
    def cores(self) -> float:
        """Average cores used over the window (1.0 = one core fully busy)."""
        return self.cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def rss_max_mib(self) -> float:
        return max(self.rss_samples, default=0) / MIB

    @property
    def anon_max_mib(self) -> float:
        return max(self.anon_samples, default=0) / MIB

    @property
    def rss_mean_mib(self) -> float:
        return statistics.fmean(self.rss_samples) / MIB if self.rss_samples else 0.0


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


class ProcessSampler:
    """Samples RSS every ``interval`` seconds and CPU time at start and stop."""

    def __init__(self, pids: Mapping[str, int], interval: float = 0.5) -> None:
        self.interval = interval
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.usage = {name: ProcessUsage(name, pid) for name, pid in pids.items()}
        self._cpu0: dict[str, float] = {}
        self._started = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="process-sampler", daemon=True)

    def __enter__(self) -> ProcessSampler:
        self._started = time.monotonic()
        for name, proc in self.procs.items():
            self._cpu0[name] = self._read_cpu(name, proc)
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        wall = time.monotonic() - self._started
        for name, proc in self.procs.items():
            usage = self.usage[name]
            usage.wall_seconds = wall
            usage.cpu_seconds = max(0.0, self._read_cpu(name, proc) - self._cpu0[name])

    def _read_cpu(self, name: str, proc: psutil.Process) -> float:
        try:
            return _cpu(proc)
        except psutil.Error:
            self.usage[name].gone = True
            return self._cpu0.get(name, 0.0)

    def _sample(self) -> None:
        for name, proc in self.procs.items():
            try:
                memory = proc.memory_info()
                self.usage[name].rss_samples.append(int(memory.rss))
                shared = int(getattr(memory, "shared", 0))  # file-backed + shmem, Linux
                self.usage[name].anon_samples.append(int(memory.rss) - shared)
            except psutil.Error:
                self.usage[name].gone = True

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()


def rss_now_mib(pid: int) -> float:
    """Resident memory of one process now, in MiB."""
    return float(psutil.Process(pid).memory_info().rss) / MIB


_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


class MetricsText:
    """A parsed Prometheus text exposition."""

    def __init__(self, text: str) -> None:
        self.samples: list[Sample] = []
        for line in text.splitlines():
            match = _LINE.match(line)
            if not match:
                continue
            labels = dict(_LABEL.findall(match.group(2) or ""))
            try:
                value = float(match.group(3))
            except ValueError:
                continue
            self.samples.append(Sample(match.group(1), labels, value))

    @classmethod
    def fetch(cls, url: str, timeout: float = 5.0) -> MetricsText:
        resp = httpx.get(url, timeout=timeout)
        resp.raise_for_status()
        return cls(resp.text)

    def total(self, name: str, **labels: str) -> float:
        """Sum of ``name`` over the label sets that carry every given label value."""
        return sum(
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = math.ceil(round(q * len(ordered), 9))  # round: 0.07 * 100 is 7.000000000000001
    return ordered[min(len(ordered), max(1, rank)) - 1]
