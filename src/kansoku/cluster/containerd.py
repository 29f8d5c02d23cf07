"""containerd, the node's container runtime: its config, its process, images and leftovers.

Everything it keeps lives under the run's folder, except what containerd fixes itself: the
shims' sockets under ``/run/containerd/s`` (the host paths the run created are removed by
``hostchanges``). Containers are started by Debian's runc.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

from kansoku import conventions as cv
from kansoku.cluster.layout import Layout, component
from kansoku.errors import StackError
from kansoku.stack.components import ComponentSpec

RUNC = Path("/usr/sbin/runc")
CNI_BIN = Path("/usr/lib/cni")
NAMESPACE = "k8s.io"  # containerd's namespace for the CRI's images and containers


def root(directory: Path) -> Path:
    return directory / "containerd"


def socket(directory: Path) -> Path:
    return root(directory) / "containerd.sock"


def cni_conf_dir(directory: Path) -> Path:
    return directory / "cni" / "net.d"


def config(directory: Path) -> str:
    """containerd's config (version 3), with a line of why beside each unusual setting."""
    base = root(directory)
    cri = "plugins.'io.containerd.cri.v1"
    return f"""\
version = 3
root = "{base / "root"}"
state = "{base / "state"}"
# The kubelet runs with oomScoreAdj 0: lowering it needs CAP_SYS_RESOURCE.
oom_score = 0

[grpc]
  address = "{socket(directory)}"
[ttrpc]
  address = "{socket(directory)}.ttrpc"

[{cri}.images']
  snapshotter = "overlayfs"
  [{cri}.images'.pinned_images]
    # Built here and imported: a sandbox image that cannot be pulled must never be collected.
    sandbox = "{cv.REAL_NODE_PAUSE_IMAGE}"

[{cri}.runtime']
  enable_selinux = false
  disable_apparmor = true
  # Without CAP_SYS_RESOURCE runc fails to set an oom_score_adj below containerd's own
  # ("nsexec: failed to update /proc/self/oom_score_adj: Permission denied").
  restrict_oom_score_adj = true
  # The pods' network namespaces are mounted under the run's folder, not /run/netns.
  netns_mounts_under_state_dir = true
  [{cri}.runtime'.containerd]
    default_runtime_name = "runc"
    [{cri}.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.runtime'.containerd.runtimes.runc.options]
        # cgroup v1 through cgroupfs, as the kubelet's cgroupDriver: there is no systemd.
        SystemdCgroup = false
        BinaryName = "{RUNC}"
        Root = "{base / "runc"}"
  [{cri}.runtime'.cni]
    bin_dirs = ["{CNI_BIN}"]
    conf_dir = "{cni_conf_dir(directory)}"

[plugins.'io.containerd.nri.v1.nri']
  # NRI's socket would go to /var/run/nri.
  socket_path = "{base / "nri" / "nri.sock"}"
"""


def containerd(run: Layout, stage: int) -> ComponentSpec:
    path = run.directory / "containerd.toml"
    path.write_text(config(run.directory))
    argv = [str(run.tools["containerd"]), f"--config={path}"]
    # Ready when its socket answers. It finds its shim (containerd-shim-runc-v2, built beside
    # it) on PATH.
    spec = component("containerd", stage, argv, f"unix://{socket(run.directory)}")
    shim_dir = run.tools["containerd-shim-runc-v2"].parent
    return replace(spec, env={"PATH": f"{shim_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"})


def ctr(run: Layout, *args: str) -> list[str]:
    """``ctr`` against this node's containerd, in the CRI's namespace."""
    return [str(run.tools["ctr"]), f"--address={socket(run.directory)}", "-n", NAMESPACE, *args]


def _run(argv: list[str], timeout: float = 300) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise StackError(f"{' '.join(argv)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def import_images(run: Layout, tarballs: list[Path]) -> None:
    """Load docker-archive tarballs into the CRI's namespace (no registry is ever asked)."""
    for tarball in tarballs:
        _run(ctr(run, "images", "import", str(tarball)))


def images(run: Layout) -> list[str]:
    return _run(ctr(run, "images", "list", "-q")).split()
