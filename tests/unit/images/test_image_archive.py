"""The docker-archive writer: a valid manifest, config and layers, deterministic bytes."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from pathlib import Path

import pytest

from kansoku.errors import ImageError
from kansoku.images import cache, prune
from kansoku.images.archive import ImageConfig
from kansoku.images.image import Image
from kansoku.images.layer import data_entry, dir_entry, symlink_entry, tree_entries
from kansoku.images.sources import Files

CONFIG = ImageConfig(
    entrypoint=("/bin/app", "--flag"),
    cmd=("serve",),
    user="10001:10001",
    workdir="/work",
    env=(("PATH", "/bin"), ("MODE", "test")),
    ports=("8080/tcp", "53/udp"),
    volumes=("/data",),
)


@pytest.fixture(autouse=True)
def image_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KANSOKU_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def sample_image(tree: Path) -> Image:
    (tree / "bin").mkdir(parents=True, exist_ok=True)
    (tree / "bin" / "app").write_bytes(b"#!/bin/sh\necho app\n")
    (tree / "bin" / "app").chmod(0o755)
    base = Files("accounts", (data_entry("etc/passwd", b"root:x:0:0::/:/bin/sh\n"),))
    app = Files(
        "the app",
        (
            *tree_entries(tree),
            dir_entry("data", 0o750, uid=10001, gid=10001),
            symlink_entry("usr/bin/app", "/bin/app"),
        ),
    )
    return Image("example/app:1", "a test image", (base, app), CONFIG)


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        out = {}
        for member in tar.getmembers():
            content = tar.extractfile(member) if member.isfile() else None
            out[member.name] = content.read() if content else b""
        return out


def test_archive_has_manifest_config_and_layers_with_their_digests(tmp_path: Path) -> None:
    built = cache.build(sample_image(tmp_path / "tree"), progress=lambda _: None)
    files = members(built.path)
    [manifest] = json.loads(files["manifest.json"])
    assert manifest["RepoTags"] == ["example/app:1"]
    config_bytes = files[manifest["Config"]]
    assert manifest["Config"] == hashlib.sha256(config_bytes).hexdigest() + ".json"
    config = json.loads(config_bytes)
    assert config["rootfs"]["type"] == "layers"
    layer_digests = [
        "sha256:" + hashlib.sha256(files[name]).hexdigest() for name in manifest["Layers"]
    ]
    assert config["rootfs"]["diff_ids"] == layer_digests
    assert [name.split("/")[0] for name in manifest["Layers"]] == [
        d.removeprefix("sha256:") for d in layer_digests
    ]
    assert len(config["history"]) == 2
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    assert built.size == built.path.stat().st_size


def test_config_carries_the_declared_runtime_settings(tmp_path: Path) -> None:
    built = cache.build(sample_image(tmp_path / "tree"), progress=lambda _: None)
    files = members(built.path)
    [manifest] = json.loads(files["manifest.json"])
    runtime = json.loads(files[manifest["Config"]])["config"]
    assert runtime["Entrypoint"] == ["/bin/app", "--flag"]
    assert runtime["Cmd"] == ["serve"]
    assert runtime["User"] == "10001:10001"
    assert runtime["WorkingDir"] == "/work"
    assert runtime["Env"] == ["PATH=/bin", "MODE=test"]
    assert runtime["ExposedPorts"] == {"53/udp": {}, "8080/tcp": {}}
    assert runtime["Volumes"] == {"/data": {}}


def test_layer_headers_are_sorted_with_mtime_zero_and_declared_owners(tmp_path: Path) -> None:
    built = cache.build(sample_image(tmp_path / "tree"), progress=lambda _: None)
    files = members(built.path)
    [manifest] = json.loads(files["manifest.json"])
    app_layer = built.path.parent / "app-layer.tar"
    app_layer.write_bytes(files[manifest["Layers"][1]])
    with tarfile.open(app_layer) as tar:
        headers = tar.getmembers()
    names = [h.name for h in headers]
    assert names == sorted(names)
    assert {"bin", "bin/app", "data", "usr", "usr/bin", "usr/bin/app"} <= set(names)
    assert all(h.mtime == 0 and h.uname == "" and h.gname == "" for h in headers)
    owners = {h.name: (h.uid, h.gid, h.mode) for h in headers}
    assert owners["data"] == (10001, 10001, 0o750)
    assert owners["bin/app"] == (0, 0, 0o755)
    assert owners["usr"] == (0, 0, 0o755)  # a parent added because a child needs it
    link = next(h for h in headers if h.name == "usr/bin/app")
    assert link.issym()
    assert link.linkname == "/bin/app"


def test_building_twice_from_scratch_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = cache.build(sample_image(tmp_path / "tree"), progress=lambda _: None)
    before = first.path.read_bytes()
    # Same content with other mtimes and another cache: the same archive, byte for byte.
    os.utime(tmp_path / "tree" / "bin" / "app", (12345, 12345))
    monkeypatch.setenv("KANSOKU_CACHE_DIR", str(tmp_path / "other-cache"))
    second = cache.build(sample_image(tmp_path / "tree"), progress=lambda _: None)
    assert second.path != first.path
    assert second.path.name == first.path.name
    assert second.path.read_bytes() == before
    assert not second.cached


def test_a_warm_build_finds_the_archive_without_writing(tmp_path: Path) -> None:
    image = sample_image(tmp_path / "tree")
    first = cache.build(image, progress=lambda _: None)
    stamp = first.path.stat().st_mtime_ns
    second = cache.build(image, progress=lambda _: None)
    assert second.cached
    assert second.path == first.path
    assert second.path.stat().st_mtime_ns == stamp
    assert cache.cached_archive(image) == first.path


def test_changed_content_makes_another_archive(tmp_path: Path) -> None:
    first = cache.build(sample_image(tmp_path / "tree"), progress=lambda _: None)
    image = sample_image(tmp_path / "tree")
    (tmp_path / "tree" / "bin" / "app").write_bytes(b"#!/bin/sh\necho changed\n")
    second = cache.build(image, progress=lambda _: None)
    assert second.path != first.path


def test_files_sharing_an_inode_become_one_file_and_a_hard_link(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"same")
    os.link(tmp_path / "a", tmp_path / "b")
    entries = {e.path: e for e in tree_entries(tmp_path, "opt")}
    assert entries["opt/a"].kind == "file"
    assert entries["opt/b"].kind == "hardlink"
    assert entries["opt/b"].target == "opt/a"


def test_a_path_declared_twice_with_different_content_is_refused(tmp_path: Path) -> None:
    layer = Files("twice", (data_entry("etc/x", b"1"), data_entry("etc/x", b"2")))
    image = Image("example/twice:1", "", (layer,), ImageConfig())
    with pytest.raises(ImageError, match="/etc/x is declared twice"):
        cache.build(image, progress=lambda _: None)


def test_each_image_keeps_its_three_newest_archives(tmp_path: Path) -> None:
    image = sample_image(tmp_path / "tree")
    paths = []
    for text in ("one", "two", "three", "four"):
        (tmp_path / "tree" / "bin" / "app").write_text(text)
        paths.append(cache.build(image, progress=lambda _: None).path)
        os.utime(paths[-1], ns=(len(paths) * 10**9, len(paths) * 10**9))  # strictly newer
    assert [p.exists() for p in paths] == [False, True, True, True]


def test_prune_keeps_the_current_archive_and_only_its_layers(tmp_path: Path) -> None:
    image = sample_image(tmp_path / "tree")
    old = cache.build(image, progress=lambda _: None)
    (tmp_path / "tree" / "bin" / "app").write_text("newer")
    new = cache.build(image, progress=lambda _: None)
    removed, freed = prune.prune(cache.images_dir(), [new.path], set())
    assert old.path in removed
    assert new.path.is_file()
    assert freed > 0
    layers = cache.images_dir() / "layers"
    held = {f.read_text().strip() for f in layers.glob("*.diffid")}
    assert held == prune.layers_of(new.path)
    assert all(f.with_suffix(".tar").is_file() for f in layers.glob("*.diffid"))


def test_prune_keeps_the_layers_of_todays_declarations_without_an_archive(tmp_path: Path) -> None:
    image = sample_image(tmp_path / "tree")
    built = cache.build(image, progress=lambda _: None)
    keys = {cache.layer_key(source) for source in image.layers}
    removed, _ = prune.prune(cache.images_dir(), [], keys)
    assert removed == [built.path]
    assert {f.stem for f in (cache.images_dir() / "layers").glob("*.diffid")} == keys
