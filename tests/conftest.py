"""The order of the whole run, and the control plane's build beside it.

The cluster tests run last, the real node's after them (``make test`` runs the real node's
in a session of their own beside the rest instead: ``scripts/pytest-beside.sh``; the tool
locks let both sessions' background installs share the cache). When they are collected,
``kansoku tools install --cluster`` is started at once in the background at the lowest
priority (``kansoku.tools.background``): on a cold cache the control plane builds while the
other tests run, and the cluster tests wait for it (``cluster_tools``), reporting its
progress. On a warm cache it finds everything and ends in a second or two. The real node's
tools (kubelet, containerd, CoreDNS, ...) are built in the same background install when its
tests are collected. A failed build fails the cluster tests with the end of its log.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kansoku.cluster import controlplane, crds, realnode
from kansoku.errors import ToolError
from kansoku.tools import lookup
from kansoku.tools.background import BackgroundInstall

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
_INSTALL = pytest.StashKey[BackgroundInstall]()


def _is_cluster(item: pytest.Item) -> bool:
    return item.get_closest_marker("cluster") is not None


def _is_realnode(item: pytest.Item) -> bool:
    return item.get_closest_marker("realnode") is not None


def _order(item: pytest.Item) -> int:
    """Every other test first, then the cluster tests, then the real node's (they build most)."""
    return 2 if _is_realnode(item) else 1 if _is_cluster(item) else 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_order)  # stable: tests keep their order within each group


def _tools(items: list[pytest.Item]) -> tuple[str, ...]:
    tools: tuple[str, ...] = ()
    if any(_is_cluster(item) for item in items):
        tools += (*controlplane.TOOLS, *crds.TOOLS)
    if any(_is_realnode(item) for item in items):
        tools += tuple(t for t in realnode.TOOLS if t not in tools)
    return tools


def pytest_collection_finish(session: pytest.Session) -> None:
    tools = _tools(session.items)
    if tools:
        # A session of the real node's tests alone (make test's second session) logs apart.
        alone = all(_is_realnode(item) for item in session.items)
        log = ARTIFACTS / ("realnode-tools-build.log" if alone else "cluster-tools-build.log")
        install = BackgroundInstall(tools, log)
        install.start()
        session.config.stash[_INSTALL] = install


def pytest_unconfigure(config: pytest.Config) -> None:
    install = config.stash.get(_INSTALL, None)
    if install is not None:
        install.stop()


def _wait(request: pytest.FixtureRequest, ready: Callable[[], bool] | None) -> None:
    install = request.config.stash.get(_INSTALL, None)
    if install is None:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def progress(message: str) -> None:
        if reporter is None or capture is None:
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(message)

    install.wait(progress, ready)


def _control_plane_installed() -> bool:
    try:
        for binary in controlplane.TOOLS:
            lookup.resolve(binary)
        for entry in crds.TOOLS:
            lookup.files(entry)
    except ToolError:
        return False
    return True


@pytest.fixture(scope="session")
def cluster_tools(request: pytest.FixtureRequest) -> None:
    """The control plane's binaries and CRDs are in the cache (built beside the other tests
    when they were missing). The install builds them first: the cluster tests go on as soon as
    they are there, while the real node's tools may still be building."""
    _wait(request, _control_plane_installed)


@pytest.fixture(scope="session")
def node_tools(request: pytest.FixtureRequest) -> None:
    """Every tool of the background install is in the cache (the real node's included)."""
    _wait(request, None)
