"""A build directory is deleted only after what is mounted below it is unmounted: a bind of
the host's /dev left by a killed debootstrap must never be deleted through."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kansoku.images.mounts import mounts_under, remove_tree


def test_remove_tree_unmounts_a_bind_mount_instead_of_deleting_through_it(tmp_path: Path) -> None:
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "keep").write_text("the host's file")
    build = tmp_path / "scratch"
    (build / "root" / "dev").mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(outside), str(build / "root" / "dev")], check=True)
    assert mounts_under(build) == [build / "root" / "dev"]
    remove_tree(build)
    assert not build.exists()
    assert (outside / "keep").read_text() == "the host's file"
    assert mounts_under(tmp_path) == []
