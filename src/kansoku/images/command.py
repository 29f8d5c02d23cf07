"""``kansoku images``: build the images into the cache and list them with their sizes."""

from __future__ import annotations

import click

from kansoku.images import build_image, catalogue
from kansoku.stack.table import render


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


@click.group()
def images() -> None:
    """Container images (docker-archive tarballs) built without a container engine."""


@images.command("build")
@click.argument("names", nargs=-1)
def images_build(names: tuple[str, ...]) -> None:
    """Build NAMES (all when none is given; a full reference or a short name such as
    'prometheus'); print each archive with its size and build time."""
    rows = []
    for name in names or tuple(catalogue.all_names()):
        built = build_image(name)
        state = "cached" if built.cached else "built"
        rows.append(
            [built.name, _mib(built.size), f"{built.seconds:.1f} s ({state})", str(built.path)]
        )
    click.echo(render(["image", "size", "time", "archive"], rows))


@images.command("list")
def images_list() -> None:
    """List every image kansoku builds, with the size of its archive when it is built."""
    from kansoku.images.cache import cached_archive

    rows = []
    for image in catalogue.images():
        found = cached_archive(image)
        size = _mib(found.stat().st_size) if found else "not built"
        rows.append([image.name, size, image.summary])
    click.echo(render(["image", "size", "what"], rows))


@images.command("prune")
def images_prune() -> None:
    """Remove the archives that are not current for this checkout's sources and the layers
    no remaining archive holds (another checkout sharing the cache rebuilds its own)."""
    from kansoku.errors import KansokuError
    from kansoku.images.cache import cached_archive, images_dir, layer_key
    from kansoku.images.prune import prune

    every = catalogue.images()
    current = [p for p in (cached_archive(i) for i in every) if p is not None]
    keys = set()
    for source in {layer for image in every for layer in image.layers}:
        try:
            keys.add(layer_key(source))
        except KansokuError:  # a pinned binary not installed: nothing of it to keep
            continue
    removed, freed = prune(images_dir(), current, keys)
    click.echo(f"removed {len(removed)} files ({_mib(freed)}); kept {len(current)} archives")
