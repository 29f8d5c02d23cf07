"""``kansoku images``: build the images into the cache and list them with their sizes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

import click

from kansoku.errors import KansokuError
from kansoku.images import build_image, catalogue
from kansoku.stack.table import render

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """A ``KansokuError`` becomes one line on stderr and its exit code (as in cli.py, which
    imports this module, so it cannot be imported from there)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KansokuError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return cast(F, wrapper)


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


@click.group()
def images() -> None:
    """Container images (docker-archive tarballs) built without a container engine."""


@images.command("build")
@click.argument("names", nargs=-1)
@handle_errors
def images_build(names: tuple[str, ...]) -> None:
    """Build NAMES (all when none is given; a full reference or a short name such as
    'prometheus'); print each archive with its size and build time."""
    rows = []
    try:
        for name in names or tuple(catalogue.all_names()):
            built = build_image(name)
            state = "cached" if built.cached else "built"
            seconds = f"{built.seconds:.1f} s ({state})"
            rows.append([built.name, _mib(built.size), seconds, str(built.path)])
    finally:  # what was built before a failure is still reported
        if rows:
            click.echo(render(["image", "size", "time", "archive"], rows))


@images.command("list")
@handle_errors
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
@handle_errors
def images_prune() -> None:
    """Remove the archives that are not current for this checkout's sources and the layers
    no remaining archive holds (another checkout sharing the cache rebuilds its own)."""
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
