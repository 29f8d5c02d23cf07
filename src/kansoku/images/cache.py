"""Building an image into the cache: layers keyed by their inputs, archives by their content.

::

    $XDG_CACHE_HOME/kansoku/images/
      layers/<input key>.tar      a layer tar; <input key>.diffid beside it holds its sha256
      <name>-<config digest>.tar  the docker-archive; the config names every layer's diff_id,
                                  so one file name stands for the whole content

A warm build computes the input keys (file digests are remembered, see fingerprint.py), finds
the layers and the archive, and writes nothing.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kansoku import locations
from kansoku.errors import KansokuError
from kansoku.images.archive import config_blob, write_archive
from kansoku.images.fingerprint import Fingerprint
from kansoku.images.image import Image
from kansoku.images.layer import write_layer
from kansoku.images.mounts import remove_tree
from kansoku.images.prune import keep_newest
from kansoku.images.sources import LayerSource, Progress
from kansoku.tools.cachelock import entry_lock


@dataclass(frozen=True)
class Built:
    """A built image: its archive, size in bytes and how long this build took."""

    name: str
    path: Path
    size: int
    seconds: float
    cached: bool  # the archive was already in the cache


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def images_dir() -> Path:
    return locations.cache_dir() / "images"


def _slug(name: str) -> str:
    return name.replace("/", "_").replace(":", "_")


def layer_key(source: LayerSource) -> str:
    fp = Fingerprint(images_dir())
    fp.add("source", type(source).__name__)
    source.fingerprint(fp)
    return fp.hexdigest()


def ensure_layer(source: LayerSource, progress: Progress = _stderr) -> tuple[str, Path]:
    """The layer of ``source`` as ``(diff_id, tar)``, written into the cache when missing."""
    key = layer_key(source)
    layers = images_dir() / "layers"
    tar, diff_file = layers / f"{key}.tar", layers / f"{key}.diffid"
    if diff_file.is_file() and tar.is_file():
        return diff_file.read_text().strip(), tar
    with entry_lock(tar, source.description, progress):
        if diff_file.is_file() and tar.is_file():
            return diff_file.read_text().strip(), tar
        scratch = Path(tempfile.mkdtemp(dir=layers, prefix=".scratch-"))
        try:
            entries = source.entries(scratch, progress)
            partial = scratch / "layer.tar"
            with partial.open("wb") as out:
                diff_id = write_layer(entries, out)
            partial.replace(tar)
        finally:
            remove_tree(scratch)  # unmounts first: a build may leave mounts behind
        diff_file.write_text(diff_id + "\n")  # written last: its presence means the tar is whole
    return diff_id, tar


def build(image: Image, progress: Progress = _stderr) -> Built:
    """Build ``image`` (or find it in the cache); returns where its archive is."""
    started = time.monotonic()
    layers = [ensure_layer(source, progress) for source in image.layers]
    config = _config(image, [diff for diff, _ in layers])
    out = _archive_path(image, config)
    cached = out.is_file()
    if not cached:
        with entry_lock(out, image.name, progress):
            if not out.is_file():
                partial = out.with_name(f".{out.name}.partial")
                write_archive(partial, [image.name], config, layers)
                partial.replace(out)
                keep_newest(images_dir(), _slug(image.name))
    return Built(image.name, out, out.stat().st_size, time.monotonic() - started, cached)


def _config(image: Image, diff_ids: list[str]) -> bytes:
    return config_blob(image.config, diff_ids, [s.description for s in image.layers])


def _archive_path(image: Image, config: bytes) -> Path:
    digest = hashlib.sha256(config + image.name.encode()).hexdigest()[:20]
    return images_dir() / f"{_slug(image.name)}-{digest}.tar"


def cached_archive(image: Image) -> Path | None:
    """The archive of ``image`` if the cache holds it for today's inputs; builds nothing."""
    diff_ids = []
    for source in image.layers:
        try:
            key = layer_key(source)
        except KansokuError:  # e.g. a pinned binary that is not installed
            return None
        diff_file = images_dir() / "layers" / f"{key}.diffid"
        if not diff_file.is_file():
            return None
        diff_ids.append(diff_file.read_text().strip())
    out = _archive_path(image, _config(image, diff_ids))
    return out if out.is_file() else None
