"""etcd, the API server's store: one member, its data thrown away after the run."""

from __future__ import annotations

from kansoku.cluster.layout import Layout, component
from kansoku.stack.components import ComponentSpec


def etcd(run: Layout) -> ComponentSpec:
    client, peer = run.url("etcd-client", "http"), run.url("etcd-peer", "http")
    argv = [
        str(run.tools["etcd"]),
        "--name=kansoku",
        f"--data-dir={run.directory / 'etcd'}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=kansoku={peer}",
        "--unsafe-no-fsync",  # a store thrown away after the run: speed over durability
    ]
    return component("etcd", 0, argv, f"{client}/health")
