"""Port overrides and the check that every port is free before anything starts."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterable, Mapping
from contextlib import ExitStack

from kansoku import conventions as cv
from kansoku.errors import ConfigError, PortInUseError


def client_url(bind_address: str, port: int) -> str:
    """How a client on this host reaches a server bound to ``bind_address:port``."""
    wildcard = bind_address in ("0.0.0.0", "")  # noqa: S104 - a comparison, not a bind
    return f"http://{'127.0.0.1' if wildcard else bind_address}:{port}"


def parse_port(value: str, where: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise ConfigError(where, "port", f"an integer from 1 to 65535, not {value!r}") from None
    if not 1 <= port <= 65535:
        raise ConfigError(where, "port", f"an integer from 1 to 65535, not {port}")
    return port


def resolve_ports(
    overrides: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Defaults, then ``KANSOKU_PORT_*`` variables, then ``--port KEY=N`` flags."""
    environ = os.environ if environ is None else environ
    ports = {p.key: p.default for p in cv.PORTS}
    for p in cv.PORTS:
        if p.env in environ:
            ports[p.key] = parse_port(environ[p.env], p.env)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError("--port", item, "KEY=PORT, e.g. prometheus=19090")
        if key not in cv.PORTS_BY_KEY:
            raise ConfigError("--port", key, f"one of {', '.join(sorted(cv.PORTS_BY_KEY))}")
        ports[key] = parse_port(value, f"--port {key}")
    return ports


def check_unique(ports: Mapping[str, int], keys: Iterable[str]) -> None:
    seen: dict[int, str] = {}
    for key in keys:
        port = ports[key]
        if port in seen:
            raise ConfigError("--port", key, f"a port not already given to {seen[port]} ({port})")
        seen[port] = key


def is_free(host: str, port: int) -> bool:
    """Whether a server could bind ``host:port`` now (as the upstream servers would)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def preflight(ports: Mapping[str, int], keys: Iterable[str], bind_address: str) -> None:
    """Fail at once, naming port and component, if any needed port is taken."""
    keys = list(keys)
    check_unique(ports, keys)
    for key in keys:
        if not is_free(bind_address, ports[key]):
            spec = cv.PORTS_BY_KEY[key]
            raise PortInUseError(ports[key], key, spec.component)


def free_ports(host: str = "127.0.0.1") -> dict[str, int]:
    """One free port per port key, e.g. for a second stack beside a running one.

    The sockets are held open together while the ports are picked, so no port repeats.
    """
    with ExitStack() as stack:
        socks = {}
        for port in cv.PORTS:
            sock = stack.enter_context(socket.socket())
            sock.bind((host, 0))
            socks[port.key] = sock
        return {key: int(sock.getsockname()[1]) for key, sock in socks.items()}
