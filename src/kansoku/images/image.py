"""One image declaration: its name, its layers in order and its runtime config."""

from __future__ import annotations

from dataclasses import dataclass

from kansoku.images.archive import ImageConfig
from kansoku.images.sources import LayerSource


@dataclass(frozen=True)
class Image:
    """An image as the catalogue declares it; ``name`` is the reference the manifests use."""

    name: str  # e.g. ``prom/prometheus:v3.16.0``; containerd normalises it to docker.io/...
    summary: str
    layers: tuple[LayerSource, ...]
    config: ImageConfig

    @property
    def short(self) -> str:
        """The last path element without the tag, e.g. ``prometheus``."""
        return self.name.rsplit("/", 1)[-1].split(":", 1)[0]
