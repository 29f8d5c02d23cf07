"""The node's own images: pause and the probe are static Go programs of this repository."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from kansoku import images
from kansoku.errors import ImageError, ToolError
from kansoku.images import catalogue
from kansoku.tools.versions import load


@pytest.fixture(autouse=True)
def image_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KANSOKU_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def unpack(archive: Path, into: Path) -> dict[str, object]:
    """Apply every layer of ``archive`` to ``into``; returns the image's runtime config."""
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))[0]  # type: ignore[arg-type]
        config = json.load(tar.extractfile(manifest["Config"]))  # type: ignore[arg-type]
        for layer in manifest["Layers"]:
            with tarfile.open(fileobj=tar.extractfile(layer)) as inner:
                # Our own layers, written by this test: keep the modes (sticky /tmp) as they are.
                inner.extractall(into, filter="fully_trusted")  # noqa: S202
    return config["config"]  # type: ignore[no-any-return]


def is_static_elf(path: Path) -> bool:
    """An ELF executable with no program interpreter (no dynamic loader, no libc)."""
    out = subprocess.run(["file", "-b", str(path)], capture_output=True, text=True, check=True)
    return out.stdout.startswith("ELF 64-bit") and "statically linked" in out.stdout


def test_pause_is_a_static_program_run_as_65535(tmp_path: Path) -> None:
    config = unpack(images.build("localhost/pause:3.10"), tmp_path / "root")
    assert config["Entrypoint"] == ["/pause"]
    assert config["User"] == "65535:65535"
    assert is_static_elf(tmp_path / "root" / "pause")
    version = subprocess.run(
        [tmp_path / "root" / "pause", "-v"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == "pause.go 3.10"


def test_probe_reports_its_own_process_status(tmp_path: Path) -> None:
    config = unpack(images.build("probe"), tmp_path / "root")
    assert config["User"] == "10001:10001"
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    [entrypoint] = config["Entrypoint"]  # type: ignore[misc]
    binary = tmp_path / "root" / str(entrypoint).lstrip("/")
    assert is_static_elf(binary)
    status = subprocess.run([binary, "status"], capture_output=True, text=True, check=True)
    fields = dict(line.split(": ", 1) for line in status.stdout.splitlines())
    assert set(fields) >= {"Uid", "CapEff", "NoNewPrivs", "Seccomp"}
    passwd = (tmp_path / "root" / "etc" / "passwd").read_text()
    assert "probe:x:10001:10001:" in passwd
    assert (tmp_path / "root" / "tmp").stat().st_mode & 0o7777 == 0o1777


def test_every_image_is_found_by_its_short_name() -> None:
    for image in catalogue.images():
        assert catalogue.find(image.short) == image


def test_an_unknown_image_names_the_known_ones() -> None:
    with pytest.raises(ImageError, match=r"'grafana' is not an image kansoku builds.*pause"):
        catalogue.find("grafana")


def test_coredns_is_named_by_its_pin_or_fails_naming_the_missing_pin() -> None:
    pinned = load().tools.get("coredns")
    if pinned:
        assert f"localhost/coredns:{pinned.release}" in images.all_names()
    else:
        with pytest.raises(ToolError, match=r"coredns is not pinned in .*versions\.yaml"):
            images.build("coredns")


def test_a_go_program_builds_to_the_same_archive_in_another_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = images.build("localhost/pause:3.10").read_bytes()
    monkeypatch.setenv("KANSOKU_CACHE_DIR", str(tmp_path / "other-cache"))
    assert images.build("localhost/pause:3.10").read_bytes() == first
