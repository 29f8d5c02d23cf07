"""The processes of the control plane with simulated nodes, in the order they start."""

from __future__ import annotations

from kansoku.cluster import apiserver, controllers, etcd, kwok
from kansoku.cluster.layout import Layout
from kansoku.stack.components import ComponentSpec


def specs(run: Layout) -> list[ComponentSpec]:
    return [
        etcd.etcd(run),
        apiserver.apiserver(run),
        controllers.controller_manager(run),
        controllers.scheduler(run),
        kwok.kwok(run),
    ]
