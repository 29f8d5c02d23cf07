"""A pod's memory cgroup read from the host: v1's memory controller and v2's unified files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kansoku.cluster import cgroups

MIB = 2**20


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_v1_figures_and_the_kubelets_working_set(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {
            "memory.usage_in_bytes": f"{300 * MIB}\n",
            "memory.max_usage_in_bytes": f"{500 * MIB}\n",
            "memory.limit_in_bytes": f"{512 * MIB}\n",
            "memory.failcnt": "7\n",
            "memory.stat": (
                f"cache {90 * MIB}\nrss {10 * MIB}\ntotal_cache {100 * MIB}\n"
                f"total_rss {190 * MIB}\ntotal_inactive_file {60 * MIB}\n"
            ),
            "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
        },
    )
    reading = cgroups.read_memory(folder)
    assert (reading.usage, reading.peak, reading.limit) == (300 * MIB, 500 * MIB, 512 * MIB)
    assert (reading.rss, reading.cache) == (190 * MIB, 100 * MIB)  # the hierarchy's totals
    assert reading.working_set == 240 * MIB
    assert (reading.failcnt, reading.oom_kills) == (7, 0)


def test_v1_unlimited_is_none_and_a_reset_peak_is_written_zero(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {
            "memory.usage_in_bytes": "100\n",
            "memory.max_usage_in_bytes": "900\n",
            "memory.limit_in_bytes": "9223372036854771712\n",
            "memory.failcnt": "0\n",
            "memory.stat": "rss 50\n",
            "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
        },
    )
    reading = cgroups.read_memory(folder)
    assert reading.limit is None
    assert reading.oom_kills == 2
    cgroups.reset_memory_peak(folder)
    assert (folder / "memory.max_usage_in_bytes").read_text() == "0"


def test_v2_figures(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {
            "memory.current": f"{200 * MIB}\n",
            "memory.peak": f"{400 * MIB}\n",
            "memory.max": "max\n",
            "memory.stat": f"anon {150 * MIB}\nfile {50 * MIB}\ninactive_file {20 * MIB}\n",
            "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
        },
    )
    reading = cgroups.read_memory(folder)
    assert (reading.usage, reading.peak, reading.limit) == (200 * MIB, 400 * MIB, None)
    assert (reading.rss, reading.cache, reading.working_set) == (150 * MIB, 50 * MIB, 180 * MIB)
    assert (reading.failcnt, reading.oom_kills) == (3, 1)


def test_a_pod_is_found_under_its_qos_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", tmp_path)
    pod = tmp_path / "memory" / "kansoku-node-x" / "kubepods" / "burstable" / "pod1-2"
    pod.mkdir(parents=True)
    assert cgroups.pod_memory("/kansoku-node-x", "1-2") == pod
    with pytest.raises(FileNotFoundError, match="pod 3-4"):
        cgroups.pod_memory("/kansoku-node-x", "3-4")
