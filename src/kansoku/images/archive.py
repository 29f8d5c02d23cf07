"""The docker-archive format (what ``docker save`` writes and ``ctr images import`` reads).

::

    manifest.json          [{"Config": "<hex>.json", "RepoTags": [...], "Layers": [...]}]
    <hex>.json             the image config; <hex> is its sha256
    <diff-hex>/layer.tar   each layer, uncompressed; <diff-hex> is its sha256 (its diff_id)

The config's ``rootfs.diff_ids`` lists the layers' sha256 in order. Everything here is
deterministic: fixed ``created`` time, sorted JSON keys, mtime 0 in the outer tar too.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_EPOCH = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class ImageConfig:
    """What the runtime reads from an image: the OCI/Docker ``config`` object."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    user: str = ""
    workdir: str = ""
    env: tuple[tuple[str, str], ...] = ()
    ports: tuple[str, ...] = ()  # "8080/tcp"
    volumes: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The ``config`` object of the image config, without empty fields."""
        out: dict[str, Any] = {}
        if self.entrypoint:
            out["Entrypoint"] = list(self.entrypoint)
        if self.cmd:
            out["Cmd"] = list(self.cmd)
        if self.user:
            out["User"] = self.user
        if self.workdir:
            out["WorkingDir"] = self.workdir
        if self.env:
            out["Env"] = [f"{k}={v}" for k, v in self.env]
        if self.ports:
            out["ExposedPorts"] = {port: {} for port in sorted(self.ports)}
        if self.volumes:
            out["Volumes"] = {vol: {} for vol in sorted(self.volumes)}
        if self.labels:
            out["Labels"] = dict(self.labels)
        return out


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def config_blob(config: ImageConfig, diff_ids: list[str], history: list[str]) -> bytes:
    """The image config JSON: platform, runtime config, layers and one history line each."""
    return _dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": _EPOCH,
            "config": config.as_json(),
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": _EPOCH, "created_by": line} for line in history],
        }
    )


def _member(name: str, size: int, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.uname, info.gname = size, 0, "", ""
    info.mode = 0o755 if directory else 0o644
    if directory:
        info.type = tarfile.DIRTYPE
    return info


def write_archive(
    out: Path, repo_tags: list[str], config: bytes, layers: list[tuple[str, Path]]
) -> None:
    """Write the docker-archive tar to ``out``; ``layers`` is ``(diff_id, layer tar)`` in order."""
    config_name = f"{hashlib.sha256(config).hexdigest()}.json"
    layer_names = [f"{diff_id.removeprefix('sha256:')}/layer.tar" for diff_id, _ in layers]
    manifest = _dumps([{"Config": config_name, "RepoTags": repo_tags, "Layers": layer_names}])
    with (
        out.open("wb") as raw,
        tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        written: set[str] = set()
        for name, (_, path) in zip(layer_names, layers, strict=True):
            if name in written:  # the same layer twice (e.g. an empty one) is stored once
                continue
            written.add(name)
            tar.addfile(_member(name.split("/")[0], 0, directory=True))
            with path.open("rb") as content:
                tar.addfile(_member(name, path.stat().st_size), content)
        tar.addfile(_member(config_name, len(config)), io.BytesIO(config))
        tar.addfile(_member("manifest.json", len(manifest)), io.BytesIO(manifest))
