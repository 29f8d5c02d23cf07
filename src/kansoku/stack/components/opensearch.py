"""OpenSearch: Jaeger's trace store with ``--jaeger-storage opensearch``.

One node on the bind address by default; ``node_spec`` also makes the nodes of a loopback
cluster (the three-node tests). Each node gets a folder under the data dir with its config
(``config/opensearch/opensearch.yml``, expanded by OpenSearch itself from the environment,
beside the distribution's ``jvm.options`` with its relative paths made absolute), data and
logs. It starts in a stage before every other component: Jaeger exits when its store does
not answer at start, so the rest of the stack waits for the cluster's health.

OpenSearch refuses to run as root. As root, a node runs as ``nobody`` (``setpriv``, no
capabilities) and owns its folder. Its paths (the cache and the data dir in root's home,
that only root may enter) are out of nobody's reach, so the node gets a mount namespace of its
own (``unshare``) where a small tmpfs at ``MOUNT_POINT`` holds the distribution (bound
read-only) and its folder; ``nobody`` can then reach both and write only the latter.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from kansoku import conventions as cv
from kansoku import locations
from kansoku.errors import ConfigError
from kansoku.stack.components.spec import ComponentSpec, StackSettings, port_keys
from kansoku.stack.ports import client_url
from kansoku.tools import maven, versions
from kansoku.tools.java import find_java_home

BINARIES: tuple[str, ...] = ()  # only with --jaeger-storage opensearch: extra_binaries()
STAGE = -1  # before the stores' stage: Jaeger needs it answering when it starts
UNPRIVILEGED_UID = 65534  # nobody
# Where a node run as root sees its distribution (home/) and its folder (node/): an empty
# directory on a path everyone may traverse; a tmpfs is mounted on it in the node's namespace.
MOUNT_POINT = Path("/run/kansoku-opensearch")
_AS_NOBODY = """set -e
m=$1; home=$2; node=$3; shift 3
mount -t tmpfs -o mode=0755,size=1m kansoku-opensearch "$m"
mkdir "$m/home" "$m/node"
mount --bind -o ro "$home" "$m/home"
mount --bind "$node" "$m/node"
exec setpriv --reuid={uid} --regid={uid} --clear-groups --inh-caps=-all --bounding-set=-all \\
  "$m/home/bin/opensearch" "$@"
"""
_HEAP = re.compile(r"^\d+[mg]$")
# A node is ready when the cluster is green: all its shards (replicas too) are assigned.
HEALTH_PATH = "/_cluster/health?wait_for_status=green&timeout=1s"
# Disk watermarks of a local node, as free space rather than OpenSearch's 85/90/95 % of the
# disk: a local node shares the machine's disk, where 5 % free can be gigabytes. Past the high
# mark a node takes no new shard, and when every node is past it OpenSearch blocks index
# creation: the day's span index is never made and Jaeger drops every bulk item written to it
# (a 403 its bulk processor does not retry). A pod has its own volume: the percentages stay.
DISK_WATERMARKS = {"low": "2gb", "high": "1gb", "flood_stage": "500mb"}


@dataclass(frozen=True)
class Node:
    """One OpenSearch node: its name, ports and, in a cluster, every node's transport port."""

    name: str
    http_port: int
    transport_port: int
    cluster: tuple[tuple[str, int], ...] = ()  # (name, transport port) of every node; () = one


def extra_binaries(settings: StackSettings) -> tuple[str, ...]:
    return (cv.OPENSEARCH,) if settings.jaeger_storage == cv.OPENSEARCH else ()


def check_heap(value: str) -> str:
    if not _HEAP.match(value):
        raise ConfigError(
            "--opensearch-heap", "value", f"a JVM size such as 512m or 2g, not {value!r}"
        )
    return value


def node_dir(settings: StackSettings, node: str) -> Path:
    return settings.data_dir.resolve() / cv.OPENSEARCH / node


def as_root() -> bool:
    return os.geteuid() == 0


def _jvm_options(home: Path, folder: Path) -> str:
    """The distribution's jvm.options with its relative paths (GC log, heap dumps, error
    file) moved into the node's folder (as the node sees it): it cannot write the cache."""
    text = (home / "config" / "jvm.options").read_text()
    text = text.replace("HeapDumpPath=data", f"HeapDumpPath={folder / 'data'}")
    text = text.replace("ErrorFile=logs/", f"ErrorFile={folder / 'logs'}/")
    return text.replace("file=logs/gc.log", f"file={folder / 'logs' / 'gc.log'}")


def _prepare(home: Path, folder: Path, seen_as: Path) -> None:
    conf = folder / "config"
    for sub in ("data", "logs", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    shutil.rmtree(conf, ignore_errors=True)
    shutil.copytree(home / "config", conf)
    (conf / "jvm.options").write_text(_jvm_options(home, seen_as))
    source = locations.config_dir() / "opensearch" / "opensearch.yml"
    shutil.copyfile(source, conf / "opensearch.yml")
    if as_root():
        MOUNT_POINT.mkdir(parents=True, exist_ok=True)
        for path in (folder, *folder.rglob("*")):
            os.chown(path, UNPRIVILEGED_UID, UNPRIVILEGED_UID, follow_symlinks=False)


def _launch(home: Path, folder: Path, args: list[str]) -> list[str]:
    """The argv of a node: its own ``bin/opensearch``, or as root the namespace above."""
    if not as_root():
        return [str(home / "bin" / "opensearch"), *args]
    script = _AS_NOBODY.format(uid=UNPRIVILEGED_UID)
    return [
        *("unshare", "--mount", "--propagation", "private", "--"),
        *("sh", "-c", script, "opensearch", str(MOUNT_POINT), str(home), str(folder)),
        *args,
    ]


def _local_flags(node: Node, host: str) -> list[str]:
    """What a local node sets beside opensearch.yml: discovery, and the disk watermarks."""
    disk = [
        f"-Ecluster.routing.allocation.disk.watermark.{mark}={free}"
        for mark, free in DISK_WATERMARKS.items()
    ]
    if not node.cluster:
        return ["-Ediscovery.type=single-node", *disk]
    seeds = ",".join(f"{host}:{port}" for _, port in node.cluster)
    managers = ",".join(name for name, _ in node.cluster)
    return [
        f"-Ediscovery.seed_hosts={seeds}",
        f"-Ecluster.initial_cluster_manager_nodes={managers}",
        *disk,
    ]


def node_spec(
    settings: StackSettings, binary: Path, node: Node, *, cluster_name: str = cv.PROJECT
) -> ComponentSpec:
    """A node of ``binary``'s distribution (``<home>/bin/opensearch``) under the data dir."""
    home = binary.resolve().parent.parent
    folder = node_dir(settings, node.name)
    seen_as = MOUNT_POINT / "node" if as_root() else folder
    tool = versions.load().tools[cv.OPENSEARCH]
    java = find_java_home(*maven.java_range(tool), needed_by=f"OpenSearch {tool.release}")
    heap = check_heap(settings.opensearch_heap)
    env = {
        "OPENSEARCH_JAVA_HOME": str(java),
        "OPENSEARCH_PATH_CONF": str(seen_as / "config"),
        # Later options win over jvm.options' -Xms1g/-Xmx1g.
        "OPENSEARCH_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}",
        "TMPDIR": str(seen_as / "tmp"),
        "KANSOKU_OPENSEARCH_CLUSTER": cluster_name,
        "KANSOKU_OPENSEARCH_NODE": node.name,
        "KANSOKU_OPENSEARCH_DATA": str(seen_as / "data"),
        "KANSOKU_OPENSEARCH_LOGS": str(seen_as / "logs"),
        "KANSOKU_OPENSEARCH_HOST": settings.bind_address,
        "KANSOKU_OPENSEARCH_HTTP_PORT": str(node.http_port),
        "KANSOKU_OPENSEARCH_TRANSPORT_PORT": str(node.transport_port),
    }
    url = client_url(settings.bind_address, node.http_port)
    return ComponentSpec(
        cv.OPENSEARCH if not node.cluster else f"{cv.OPENSEARCH}-{node.name}",
        _launch(home, folder, _local_flags(node, settings.bind_address)),
        env,
        url + HEALTH_PATH,
        port_keys(cv.OPENSEARCH) if not node.cluster else (),
        url,
        lambda: _prepare(home, folder, seen_as),
        # A first start on a busy machine took 28 s, a cluster 60 s: the JVM, then recovery.
        startup_timeout=180.0,
        stage=STAGE,
    )


def specs(settings: StackSettings, binaries: dict[str, Path]) -> list[ComponentSpec]:
    if settings.jaeger_storage != cv.OPENSEARCH:
        return []
    node = Node("node-1", settings.ports["opensearch"], settings.ports["opensearch-transport"])
    return [node_spec(settings, binaries[cv.OPENSEARCH], node)]
