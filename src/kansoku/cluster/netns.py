"""The network namespace the whole node lives in, made for one run and deleted after it.

It holds a veth pair whose two ends both stay inside, the node's address on one end and the
default route through it: packets for any address the namespace does not own die at the other
end. Nothing links it to the host's network, so nothing the node runs can reach another machine.

Processes are started with ``nsenter --net=<path>`` (the network namespace only): ``ip netns
exec`` would also give each one a mount namespace with a fresh ``/sys`` that lacks the cgroup
hierarchies the kubelet and runc need. The harness itself reaches inside from a thread that
entered the namespace (``Namespace.call``): a socket belongs to the namespace of the thread that
made it, so a connection made there can be used from anywhere afterwards.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from kansoku import conventions as cv
from kansoku.errors import StackError

NETNS_DIR = Path("/run/netns")  # where ``ip netns`` keeps the namespaces' mount points
_CLONE_NEWNET = 0x40000000
NODE_LINK = "node0"
SINK_LINK = "node0-sink"  # the veth end where packets for unknown addresses are dropped
T = TypeVar("T")


def new_name() -> str:
    """A name no other run uses: the prefix and a random suffix."""
    return f"{cv.REAL_NODE_NETNS_PREFIX}{secrets.token_hex(4)}"


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, check=False, timeout=30)
    if proc.returncode != 0:
        raise StackError(f"ip {' '.join(args)} failed: {proc.stderr.strip()}")


def _enter(path: Path) -> None:
    """Move the calling thread (only) into the network namespace at ``path``."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"setns into {path}: {os.strerror(errno)}")
    finally:
        os.close(fd)


@dataclass
class Namespace:
    """One run's network namespace, by name."""

    name: str
    _inside: ThreadPoolExecutor | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return NETNS_DIR / self.name

    def exists(self) -> bool:
        return self.path.exists()

    def create(self, node_ip: str = cv.REAL_NODE_IP) -> None:
        """The namespace, its loopback, the veth pair with the node's address, the route."""
        _ip("netns", "add", self.name)
        netns = ("-n", self.name)
        _ip(*netns, "link", "set", "lo", "up")
        _ip(*netns, "link", "add", NODE_LINK, "type", "veth", "peer", "name", SINK_LINK)
        _ip(*netns, "addr", "add", f"{node_ip}/24", "dev", NODE_LINK)
        _ip(*netns, "link", "set", NODE_LINK, "up")
        _ip(*netns, "link", "set", SINK_LINK, "up")
        _ip(*netns, "route", "add", "default", "dev", NODE_LINK)
        # Pods' packets cross the CNI bridge: forwarded, and seen by iptables (Services,
        # NetworkPolicies). Both settings belong to this namespace alone.
        self.call(_write_sysctls)

    def argv(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the namespace (network only; mounts and /sys stay the host's)."""
        return ["nsenter", f"--net={self.path}", "--", *argv]

    def call(self, function: Callable[..., T], *args: object) -> T:
        """Run ``function(*args)`` on a thread that lives inside the namespace."""
        if self._inside is None:
            self._inside = ThreadPoolExecutor(
                max_workers=4,
                thread_name_prefix=f"netns-{self.name}",
                initializer=_enter,
                initargs=(self.path,),
            )
        return self._inside.submit(function, *args).result()

    def leave(self) -> None:
        """End the threads inside it: a namespace lives on while a thread is in it."""
        if self._inside is not None:
            self._inside.shutdown(wait=True, cancel_futures=True)
            self._inside = None

    def delete(self) -> None:
        """Delete the namespace (its links, bridge and iptables rules go with it)."""
        self.leave()
        if self.exists():
            _ip("netns", "delete", self.name)


_SYSCTLS = {
    "/proc/sys/net/ipv4/ip_forward": "1",
    "/proc/sys/net/bridge/bridge-nf-call-iptables": "1",
}


def _write_sysctls() -> None:
    """Inside the namespace: /proc/sys/net is the namespace's own."""
    for path, value in _SYSCTLS.items():
        try:
            Path(path).write_text(value)
        except FileNotFoundError:
            # The bridge's netfilter hook appears once the first bridge exists (br_netfilter);
            # kube-proxy and the CNI plugin set it again then.
            if "bridge" not in path:
                raise
