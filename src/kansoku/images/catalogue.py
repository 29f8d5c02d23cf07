"""Every image kansoku builds, declared once: the name the manifests use, the layers and the
runtime config (entrypoint, user, working directory, ports, environment).

The node's own images (pause, CoreDNS, the probe the node tests run) are here; the stack's
images come from ``shop.py`` (Python) and ``upstream.py`` (Go programs).
"""

from __future__ import annotations

from kansoku.errors import ImageError
from kansoku.images.archive import ImageConfig
from kansoku.images.filesystem import DEFAULT_PATH, KANSOKU_UID, NONROOT, static_base
from kansoku.images.image import Image
from kansoku.images.libraries import SharedLibraries
from kansoku.images.sources import GoProgram, ToolBinaries
from kansoku.tools.versions import load


def _release(tool: str) -> str:
    """The pinned release of ``tool``; ``unpinned`` when tools/versions.yaml lacks it (its
    image then fails to build with a ToolError naming the missing pin)."""
    found = load().tools.get(tool)
    return found.release if found else "unpinned"


def pause() -> Image:
    # registry.k8s.io/pause runs as 65535:65535 from scratch, entrypoint /pause.
    return Image(
        name="localhost/pause:3.10",
        summary="the pod sandbox: holds the namespaces, reaps zombies (images/pause)",
        layers=(GoProgram("images/pause", "pause"),),
        config=ImageConfig(entrypoint=("/pause",), user="65535:65535"),
    )


def coredns() -> Image:
    # From coredns/coredns's Dockerfile: distroless static nonroot, USER nonroot:nonroot,
    # WORKDIR /, EXPOSE 53 53/udp, ENTRYPOINT ["/coredns"]. Upstream also gives the binary
    # the file capability cap_net_bind_service; this one has none, so as 65532 it listens
    # on :53 only with NET_BIND_SERVICE granted (or on a port above 1023).
    return Image(
        name=f"localhost/coredns:{_release('coredns')}",
        summary="the cluster's DNS server (pinned CoreDNS)",
        layers=(
            static_base(NONROOT),
            SharedLibraries(("coredns",)),
            ToolBinaries((("coredns", "coredns"),)),
        ),
        config=ImageConfig(
            entrypoint=("/coredns",),
            user="65532:65532",
            workdir="/",
            env=(DEFAULT_PATH,),
            ports=("53/tcp", "53/udp"),
        ),
    )


def probe() -> Image:
    user = ("probe", KANSOKU_UID, KANSOKU_UID, "/nonexistent")
    return Image(
        name="localhost/probe:dev",
        summary="the node tests' program: HTTP, DNS, GET, memory, /proc/self/status (images/probe)",
        layers=(
            static_base(user),
            GoProgram("images/probe", "usr/local/bin/probe"),
        ),
        config=ImageConfig(
            entrypoint=("/usr/local/bin/probe",),
            cmd=("serve", ":8080"),
            user=f"{KANSOKU_UID}:{KANSOKU_UID}",
            workdir="/",
            env=(DEFAULT_PATH,),
            ports=("8080/tcp",),
        ),
    )


def images() -> list[Image]:
    """Every declared image, in the order ``kansoku images list`` shows them."""
    from kansoku.images import shop, upstream

    return [*shop.images(), *upstream.images(), pause(), coredns(), probe()]


def all_names() -> list[str]:
    return [image.name for image in images()]


def find(name: str) -> Image:
    """The image called ``name``: its full reference or its short name (``prometheus``)."""
    every = images()
    matches = [i for i in every if name in (i.name, i.short, i.name.split(":", 1)[0])]
    if len(matches) != 1:
        known = ", ".join(i.name for i in every)
        what = "is ambiguous" if matches else "is not an image kansoku builds"
        raise ImageError(f"{name!r} {what}; the images are: {known}")
    return matches[0]
