"""Container images built without a container engine or registry.

Each image is declared once (``catalogue.py``), assembled from files this machine already has
(our Go programs, the pinned binaries of the tool cache, Debian packages and the locked
wheels) into deterministic layers, and written as a docker-archive tarball that
``ctr -n k8s.io images import`` loads. Layers and archives are cached per content under
``$XDG_CACHE_HOME/kansoku/images``.
"""

from __future__ import annotations

from pathlib import Path

from kansoku.images import cache, catalogue
from kansoku.images.cache import Built
from kansoku.images.sources import Progress


def all_names() -> list[str]:
    """The reference of every image kansoku builds."""
    return catalogue.all_names()


def build_image(name: str, progress: Progress | None = None) -> Built:
    """Build the image ``name`` (full reference or short name) or find it in the cache."""
    image = catalogue.find(name)
    return cache.build(image, progress) if progress else cache.build(image)


def build(name: str) -> Path:
    """The docker-archive of image ``name``, built when not cached."""
    return build_image(name).path


__all__ = ["Built", "all_names", "build", "build_image"]
