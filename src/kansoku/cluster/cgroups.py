"""The run's own cgroup root, under which the kubelet puts ``kubepods``.

Without one, the kubelet uses ``/kubepods`` in every hierarchy: a path shared with any other
node on the machine, whose kubelet would take the pods there for orphans of its own. A root
named after the run (``/kansoku-node-<suffix>``) keeps the node's cgroups apart, and the
teardown removes exactly that root. cgroup v1 only here (a v2 machine gets the same folder
in its one hierarchy).
"""

from __future__ import annotations

from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_CPUSET_FILES = ("cpuset.cpus", "cpuset.mems")  # a v1 cpuset child starts empty


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
