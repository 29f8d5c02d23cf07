"""The shop's three Python images: one Debian base, one layer of locked wheels and the
project, and the runtime config of deploy/docker/<name>.Dockerfile (a test checks that the
two agree: base, user, entrypoint, working directory, ports, environment)."""

from __future__ import annotations

from kansoku import conventions
from kansoku.images.archive import ImageConfig
from kansoku.images.filesystem import DEFAULT_PATH, KANSOKU_UID
from kansoku.images.image import Image
from kansoku.images.layer import dir_entry
from kansoku.images.python import DebianPython, LockedWheels
from kansoku.images.sources import Files, LayerSource

UID = KANSOKU_UID  # the Dockerfiles' `kansoku` user
VENV_PATH = f"/opt/venv/bin:{DEFAULT_PATH[1]}"
# What the python:3.11-slim base of the Dockerfiles sets and ours must too: a UTF-8 locale.
BASE_ENV = (("LANG", "C.UTF-8"),)
# The Dockerfiles' ENV lines, common to the three images.
COMMON_ENV = (("PATH", VENV_PATH), ("PYTHONUNBUFFERED", "1"), ("PYTHONDONTWRITEBYTECODE", "1"))


def _python(
    name: str, module: str, env: tuple[tuple[str, str], ...], port: int | None,
    extra: tuple[LayerSource, ...] = (),
) -> Image:  # fmt: skip
    return Image(
        name=f"kansoku/{name}:dev",
        summary=f"python -m kansoku.services.{module} on Debian's python3 with the locked wheels",
        layers=(DebianPython(), LockedWheels(), *extra),
        config=ImageConfig(
            entrypoint=("python", "-m", f"kansoku.services.{module}"),
            user=f"{UID}:{UID}",
            env=(*BASE_ENV, *COMMON_ENV, *env),
            ports=(f"{port}/tcp",) if port else (),
        ),
    )


def images() -> list[Image]:
    backend_port = conventions.PORTS_BY_KEY["shop-backend"].default
    frontend_port = conventions.PORTS_BY_KEY["shop-frontend"].default
    # A container listens on its pod's address, as the Dockerfiles say.
    bind = (conventions.ENV_BIND_ADDRESS, "0.0.0.0")  # noqa: S104
    # /data holds the SQLite file unless DATABASE_URL points elsewhere (shop-backend.Dockerfile).
    data = Files("/data owned by 10001", (dir_entry("data", 0o755, UID, UID),))
    return [
        _python(
            "shop-backend", "backend",
            (("OTEL_SERVICE_NAME", "shop-backend"), bind, ("KANSOKU_DATA_DIR", "/data")),
            backend_port, (data,),
        ),
        _python("shop-frontend", "frontend", (("OTEL_SERVICE_NAME", "shop-frontend"), bind),
                frontend_port),
        _python("loadgen", "loadgen", (), None),
    ]  # fmt: skip
