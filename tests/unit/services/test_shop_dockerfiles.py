"""The service images: multi-stage, slim, locked dependencies, an unprivileged user."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kansoku import conventions

DOCKER = Path(__file__).resolve().parents[3] / "deploy" / "docker"
IMAGES = {"shop-backend": "backend", "shop-frontend": "frontend", "loadgen": "loadgen"}


def instructions(name: str) -> list[tuple[str, str]]:
    text = (DOCKER / f"{name}.Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    lines = [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


@pytest.mark.parametrize("name", IMAGES)
def test_image_is_multi_stage_and_runs_slim_as_a_numeric_non_root_user(name: str) -> None:
    steps = instructions(name)
    stages = [arg for op, arg in steps if op == "FROM"]
    assert len(stages) >= 2
    assert "-slim" in stages[-1]
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    [user] = [arg for op, arg in final if op == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0
    assert not any(op == "RUN" for op, _ in final[final.index(("USER", user)) :])


@pytest.mark.parametrize("name", IMAGES)
def test_image_installs_from_the_lock_without_dev_tools(name: str) -> None:
    syncs = [arg for op, arg in instructions(name) if op == "RUN" and "uv sync" in arg]
    assert syncs
    assert all("--locked" in s and "--no-dev" in s for s in syncs)


@pytest.mark.parametrize(("name", "module"), IMAGES.items())
def test_image_starts_its_module(name: str, module: str) -> None:
    [entry] = [arg for op, arg in instructions(name) if op == "ENTRYPOINT"]
    assert entry == f'["python", "-m", "kansoku.services.{module}"]'


@pytest.mark.parametrize("name", ["shop-backend", "shop-frontend"])
def test_service_images_listen_on_their_port_and_probe_healthz(name: str) -> None:
    steps = instructions(name)
    port = conventions.PORTS_BY_KEY[name].default
    assert ("EXPOSE", str(port)) in steps
    [check] = [arg for op, arg in steps if op == "HEALTHCHECK"]
    assert f"127.0.0.1:{port}{conventions.HEALTH_PATH}" in check
    env = " ".join(arg for op, arg in steps if op == "ENV")
    assert f"{conventions.ENV_BIND_ADDRESS}=0.0.0.0" in env
    assert "service.namespace" not in env


def test_collector_image_builds_our_distribution_by_the_tools_recipe() -> None:
    steps = instructions("otel-collector")
    [build] = [arg for op, arg in steps if op == "RUN" and "tools install" in arg]
    assert "--locked" in build
    assert "--no-dev" in build
    assert "kansoku tools install otelcol-kansoku" in build
    env = " ".join(arg for op, arg in steps if op == "ENV")
    assert "CGO_ENABLED=0" in env  # a static binary for the distroless stage
    copied = {arg.split()[0] for op, arg in steps if op == "COPY" and "--from" not in arg}
    # Everything the build reads: the pins and every local collector component.
    assert {"src", "tools", "collector"} <= copied
    stages = [arg for op, arg in steps if op == "FROM"]
    assert "distroless/static" in stages[-1]
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    [user] = [arg for op, arg in final if op == "USER"]
    assert int(user.split(":")[0]) != 0
    ignore = (DOCKER / "otel-collector.Dockerfile.dockerignore").read_text().splitlines()
    assert {"!tools/", "!collector/", "!src/"} <= set(ignore)
