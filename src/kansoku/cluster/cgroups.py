"""The run's own cgroup root, under which the kubelet puts ``kubepods``.

Without one, the kubelet uses ``/kubepods`` in every hierarchy: a path shared with any other
node on the machine, whose kubelet would take the pods there for orphans of its own. A root
named after the run (``/kansoku-node-<suffix>``) keeps the node's cgroups apart, and the
teardown removes exactly that root. cgroup v1 only here (a v2 machine gets the same folder
in its one hierarchy).

It also reads a pod's memory cgroup from the host: usage, peak, limit, page cache, OOM kills
(the figures the real-node tests set against a container's limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_CPUSET_FILES = ("cpuset.cpus", "cpuset.mems")  # a v1 cpuset child starts empty
_V1_UNLIMITED = 2**62  # v1 writes "no limit" as the largest page-aligned int64


def hierarchies() -> list[Path]:
    """Every mounted hierarchy: the v2 root, or each v1 controller's folder."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        return [CGROUP_ROOT]
    return sorted(
        d
        for d in CGROUP_ROOT.iterdir()
        if d.is_dir() and not d.is_symlink() and (d / "cgroup.procs").exists()
    )


def create(name: str) -> list[Path]:
    """``/<name>`` in every hierarchy; returns the folders made (for the teardown)."""
    made = []
    for hierarchy in hierarchies():
        folder = hierarchy / name
        folder.mkdir(exist_ok=True)
        made.append(folder)
        for file in _CPUSET_FILES:
            if (folder / file).exists() and not (folder / file).read_text().strip():
                (folder / file).write_text((hierarchy / file).read_text())
    return made


@dataclass(frozen=True)
class MemoryReading:
    """One container's memory cgroup, in bytes (``limit`` None: unlimited)."""

    usage: int  # everything charged: anonymous memory and page cache
    peak: int  # the highest usage since the cgroup was made or its peak was reset
    limit: int | None
    rss: int  # anonymous memory: what the OOM killer has to free
    cache: int  # page cache (files written or read, such as the collector's queue)
    inactive_file: int
    failcnt: int  # times the usage hit the limit and the kernel reclaimed (v1; v2: "max")
    oom_kills: int  # processes of this cgroup the OOM killer ended

    @property
    def working_set(self) -> int:
        """``usage - inactive_file``: the kubelet's figure, which its eviction and
        metrics-server go by."""
        return max(self.usage - self.inactive_file, 0)


def _counters(path: Path) -> dict[str, int]:
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            out[key] = int(value)
    return out


def pod_memory(root: str, pod_uid: str) -> Path:
    """The memory cgroup of the pod ``pod_uid`` under the node's cgroup root ``root`` (as the
    cgroupfs driver names it: ``kubepods[/<qos>]/pod<uid>``)."""
    v2 = (CGROUP_ROOT / "cgroup.controllers").exists()
    base = (CGROUP_ROOT if v2 else CGROUP_ROOT / "memory") / root.strip("/") / "kubepods"
    for qos in ("", "burstable", "besteffort"):
        folder = base / qos / f"pod{pod_uid}"
        if folder.is_dir():
            return folder
    raise FileNotFoundError(f"no memory cgroup of pod {pod_uid} under {base}")


def read_memory(folder: Path) -> MemoryReading:
    """The memory figures of one cgroup (v1: ``memory.*`` of the memory controller; v2: the
    unified files)."""
    if (folder / "memory.current").exists():
        stat, events = _counters(folder / "memory.stat"), _counters(folder / "memory.events")
        maximum = (folder / "memory.max").read_text().strip()
        peak = folder / "memory.peak"
        usage = int((folder / "memory.current").read_text())
        return MemoryReading(
            usage=usage,
            peak=int(peak.read_text()) if peak.exists() else usage,
            limit=None if maximum == "max" else int(maximum),
            rss=stat.get("anon", 0),
            cache=stat.get("file", 0),
            inactive_file=stat.get("inactive_file", 0),
            failcnt=events.get("max", 0),
            oom_kills=events.get("oom_kill", 0),
        )
    stat = _counters(folder / "memory.stat")
    limit = int((folder / "memory.limit_in_bytes").read_text())
    return MemoryReading(
        usage=int((folder / "memory.usage_in_bytes").read_text()),
        peak=int((folder / "memory.max_usage_in_bytes").read_text()),
        limit=None if limit >= _V1_UNLIMITED else limit,
        rss=stat.get("total_rss", stat.get("rss", 0)),
        cache=stat.get("total_cache", stat.get("cache", 0)),
        inactive_file=stat.get("total_inactive_file", stat.get("inactive_file", 0)),
        failcnt=int((folder / "memory.failcnt").read_text()),
        oom_kills=_counters(folder / "memory.oom_control").get("oom_kill", 0),
    )


def reset_memory_peak(folder: Path) -> None:
    """Start the cgroup's peak afresh from its current usage (v1 only: v2's ``memory.peak``
    resets per open file, from kernel 6.12, and is left as it is)."""
    if (folder / "memory.max_usage_in_bytes").exists():
        (folder / "memory.max_usage_in_bytes").write_text("0")
