"""The archives load into containerd (the pinned one the real node runs): ``ctr images
import`` unpacks every layer into overlayfs snapshots, checking each against the config's
diff_ids, and the mounted root filesystem has the declared files, owners and modes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kansoku.images import build
from kansoku.images.mounts import mounts_under, unmount_under
from kansoku.tools import lookup
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.e2e

# One image of each kind: Python (the shared Debian base, hard links), upstream (owned
# paths, a named user), a Go program of ours.
IMAGES = {
    "kansoku/shop-backend:dev": "docker.io/kansoku/shop-backend:dev",
    "prom/prometheus:v3.16.0": "docker.io/prom/prometheus:v3.16.0",
    "localhost/pause:3.10": "localhost/pause:3.10",
}


class Containerd:
    """A containerd of its own (root, state and socket under one directory), no CRI."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.socket = base / "containerd.sock"
        (base / "config.toml").write_text(
            "version = 3\n"
            f'root = "{base / "root"}"\nstate = "{base / "state"}"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime",'
            ' "io.containerd.cri.v1.images"]\n'
            f'[grpc]\n  address = "{self.socket}"\n'
        )
        self.ctr_binary = lookup.resolve("ctr", build=True).path
        binary = lookup.resolve("containerd", build=True).path
        self.log = (base / "containerd.log").open("w")
        self.proc = subprocess.Popen(
            [binary, "--config", str(base / "config.toml")], stdout=self.log, stderr=self.log
        )
        poll_until(
            lambda: self.ctr("version").returncode == 0 or None,
            what=f"containerd to answer on {self.socket} (log: {base / 'containerd.log'})",
            timeout=120,
        )

    def ctr(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.ctr_binary), "--address", str(self.socket), "-n", "kansoku-test", *args],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()
        # containerd 2's mount manager may keep a read-only mount of a snapshot in its state
        # directory after `ctr images unmount`; nothing of this test stays mounted.
        unmount_under(self.base)


@pytest.fixture(scope="module")
def containerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Containerd]:
    runtime = Containerd(tmp_path_factory.mktemp("containerd"))
    yield runtime
    runtime.stop()
    assert mounts_under(runtime.base) == []


@pytest.mark.parametrize(("name", "ref"), IMAGES.items())
def test_ctr_imports_and_unpacks_the_archive(
    containerd: Containerd, name: str, ref: str, tmp_path: Path
) -> None:
    imported = containerd.ctr("images", "import", str(build(name)))
    assert imported.returncode == 0, imported.stderr
    listed = containerd.ctr("images", "ls", "-q")
    assert ref in listed.stdout.split()
    target = tmp_path / "rootfs"
    target.mkdir()
    mounted = containerd.ctr("images", "mount", ref, str(target))
    assert mounted.returncode == 0, mounted.stderr
    try:
        check_rootfs(name, target)
    finally:
        containerd.ctr("images", "unmount", "--rm", str(target))


def check_rootfs(name: str, root: Path) -> None:
    if name.startswith("kansoku/shop-backend"):
        assert (root / "usr/bin/python3").resolve().is_relative_to(root)
        assert (root / "opt/venv/lib/python3.11/site-packages/kansoku/__init__.py").is_file()
        data = (root / "data").stat()
        assert (data.st_uid, data.st_gid) == (10001, 10001)
        assert "kansoku:x:10001:10001:" in (root / "etc/passwd").read_text()
    elif name.startswith("prom/prometheus"):
        assert os.access(root / "bin/prometheus", os.X_OK)
        assert (root / "prometheus").stat().st_uid == 65534
        assert (root / "etc/prometheus/prometheus.yml").stat().st_uid == 65534
    else:
        assert os.access(root / "pause", os.X_OK)
