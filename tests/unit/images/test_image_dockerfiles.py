"""deploy/docker's Dockerfiles (for users with Docker) and the local images declare the same
runtime: base, user, entrypoint, working directory, ports and environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kansoku import locations
from kansoku.images import catalogue, python, shop
from kansoku.images.filesystem import NONROOT
from kansoku.images.image import Image
from kansoku.images.sources import Files

DOCKER = locations.project_root() / "deploy" / "docker"
# Dockerfile -> the image declared for the dev overlay.
PAIRS = {
    "shop-backend": "kansoku/shop-backend:dev",
    "shop-frontend": "kansoku/shop-frontend:dev",
    "loadgen": "kansoku/loadgen:dev",
    "otel-collector": "kansoku/otel-collector:dev",
}
DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def instructions(name: str) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (DOCKER / f"{name}.Dockerfile").read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def final_stage(name: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The Dockerfile's ARG defaults and the instructions of its last stage."""
    steps = instructions(name)
    args = dict(a.split("=", 1) for op, a in steps if op == "ARG" and "=" in a)
    last = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return args, steps[last:]


def one(steps: list[tuple[str, str]], op: str) -> str:
    found = [arg for o, arg in steps if o == op]
    assert len(found) <= 1, f"{op} given {len(found)} times"
    return found[0] if found else ""


def dockerfile_env(steps: list[tuple[str, str]]) -> dict[str, str]:
    pairs = " ".join(arg for op, arg in steps if op == "ENV").split()
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.mark.parametrize(("dockerfile", "name"), PAIRS.items())
def test_dockerfile_and_local_image_declare_the_same_runtime(dockerfile: str, name: str) -> None:
    _, steps = final_stage(dockerfile)
    config = catalogue.find(name).config
    assert one(steps, "USER") == config.user
    assert one(steps, "ENTRYPOINT") == '["' + '", "'.join(config.entrypoint) + '"]'
    assert one(steps, "WORKDIR") == config.workdir
    exposed = {f"{p}/tcp" for arg in (a for o, a in steps if o == "EXPOSE") for p in arg.split()}
    assert exposed == set(config.ports)
    # $PATH is the base's PATH: Debian's default in ours (the python image only prepends
    # /usr/local/bin, where its own python lives and ours has none).
    expected = {k: v.replace("$PATH", DEBIAN_PATH) for k, v in dockerfile_env(steps).items()}
    base_env = dict(shop.BASE_ENV) if "python" in one(steps, "FROM") else {}
    declared = dict(config.env)
    if not expected:  # distroless declares only PATH
        expected = {"PATH": DEBIAN_PATH}
    assert declared == {**base_env, **expected}


@pytest.mark.parametrize("dockerfile", ["shop-backend", "shop-frontend", "loadgen"])
def test_python_images_share_the_dockerfiles_debian_and_python(dockerfile: str) -> None:
    args, steps = final_stage(dockerfile)
    base = one(steps, "FROM").split()[0].replace("${PYTHON_VERSION}", args["PYTHON_VERSION"])
    assert base == f"python:{python.PYTHON}-slim-{python.DebianPython().suite}"
    image = catalogue.find(PAIRS[dockerfile])
    assert isinstance(image.layers[0], python.DebianPython)
    assert isinstance(image.layers[1], python.LockedWheels)
    # The Dockerfiles' `uv sync --extra ...` and the wheels layer install the same extras.
    syncs = [a for op, a in instructions(dockerfile) if op == "RUN" and "uv sync" in a]
    extras = {set_ for s in syncs for set_ in re.findall(r"--extra (\S+)", s)}
    assert extras == set(image.layers[1].extras)


def test_backend_data_directory_is_owned_by_the_service_user_in_both() -> None:
    _, steps = final_stage("shop-backend")
    run = one(steps, "RUN")
    assert "mkdir -p /data && chown 10001:10001 /data" in run
    image = catalogue.find("kansoku/shop-backend:dev")
    [data] = [e for layer in image.layers if isinstance(layer, Files) for e in layer.items]
    assert (data.path, data.uid, data.gid) == ("data", 10001, 10001)


def test_collector_image_is_distroless_nonroot_in_both() -> None:
    _, steps = final_stage("otel-collector")
    assert "distroless/static-debian12:nonroot" in one(steps, "FROM")
    image: Image = catalogue.find("kansoku/otel-collector:dev")
    assert image.config.user == f"{NONROOT[1]}:{NONROOT[2]}"
    passwd = next(
        e.data for layer in image.layers if isinstance(layer, Files) for e in layer.items
        if e.path == "etc/passwd"
    )  # fmt: skip
    assert passwd is not None
    assert b"nonroot:x:65532:65532:" in passwd


def test_every_dockerfile_has_a_local_image() -> None:
    names = {p.name.removesuffix(".Dockerfile") for p in Path(DOCKER).glob("*.Dockerfile")}
    assert names == set(PAIRS)
