"""Build the upstream binaries from the Go module proxy into the per-version cache
(OpenSearch, a Maven artifact, is fetched by tools/maven.py instead).

Each tool is built in a scratch directory next to its cache entry and moved into place only
when every step succeeded, so an interrupted build never leaves a half-built binary behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kansoku.errors import BuildError, ToolError
from kansoku.tools.versions import Tool, Versions, render_manifest

Progress = Callable[[str], None]
_HEARTBEAT_SECONDS = 20.0


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise ToolError(
            "the Go toolchain ('go') is needed to build the upstream binaries; "
            "install Go 1.26 or point KANSOKU_<NAME>_BIN at prebuilt binaries"
        )
    return go


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _run_step(
    tool: Tool,
    step: str,
    argv: Sequence[str],
    cwd: Path,
    log: Path,
    progress: Progress,
    env: dict[str, str] | None = None,
) -> None:
    """Run one build step, logging to ``log`` and reporting progress while it runs."""
    progress(f"[{tool.name} {tool.release}] {step}")
    started = time.monotonic()
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(_HEARTBEAT_SECONDS):
            progress(
                f"[{tool.name} {tool.release}] {step}: "
                f"still working ({time.monotonic() - started:.0f}s)"
            )

    ticker = threading.Thread(target=heartbeat, daemon=True)
    ticker.start()
    try:
        with log.open("a") as out:
            out.write(f"\n$ {' '.join(argv)}   (in {cwd})\n")
            out.flush()
            proc = subprocess.run(
                argv,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                check=False,
            )
    finally:
        done.set()
    if proc.returncode != 0:
        raise BuildError(
            tool.name,
            tool.module,
            step,
            f"exit code {proc.returncode}; last lines of {log}:\n{log_tail(log)}",
        )
    progress(f"[{tool.name} {tool.release}] {step}: done in {time.monotonic() - started:.0f}s")


def go_flags(tool: Tool, ldflags: str = "") -> list[str]:
    """``-trimpath``, the tool's build tags and ``-ldflags`` (symbols and DWARF left out)."""
    tags = [f"-tags={','.join(tool.tags)}"] if tool.tags else []
    return ["-trimpath", *tags, f"-ldflags=-s -w {ldflags}".strip()]


def _package(tool: Tool, package: str) -> str:
    """Import path of a binary's package; ``.`` is the module's root package."""
    return tool.module if package == "." else f"{tool.module}/{package}"


def _build_prometheus_like(
    tool: Tool, work: Path, out_dir: Path, log: Path, progress: Progress
) -> None:
    """Tools whose module can be installed directly with ``go install pkg@version``."""
    go = _go()
    for binary, package in tool.binaries.items():
        argv = [
            go,
            "install",
            *go_flags(tool, tool.ldflags),
            f"{_package(tool, package)}@{tool.version}",
        ]
        _run_step(
            tool, f"go install {binary}", argv, work, log, progress, env={"GOBIN": str(out_dir)}
        )


def _build_in_wrapper(tool: Tool, work: Path, out_dir: Path, log: Path, progress: Progress) -> None:
    """Tools whose go.mod has replace directives: built inside a small wrapper module."""
    go = _go()
    _run_step(
        tool,
        "go mod init (wrapper module)",
        [go, "mod", "init", f"kansoku.build/{tool.name}"],
        work,
        log,
        progress,
    )
    if tool.local_replaces:
        _replace_local_folders(tool, work, log, progress)
    wanted = [f"{_package(tool, p)}@{tool.version}" for p in tool.binaries.values()]
    wanted += [f"{module}@{tool.version}" for module in tool.also]
    _run_step(tool, "go get -tool", [go, "get", "-tool", *wanted], work, log, progress)
    for binary, package in tool.binaries.items():
        _run_step(
            tool,
            f"go build {binary}",
            [
                go,
                "build",
                *go_flags(tool, tool.ldflags),
                "-o",
                str(out_dir / binary),
                _package(tool, package),
            ],
            work,
            log,
            progress,
        )


def _module_download(tool: Tool, work: Path) -> dict[str, str]:
    """``go mod download -json`` of the tool's module: where its files and go.mod are."""
    argv = [_go(), "mod", "download", "-json", f"{tool.module}@{tool.version}"]
    proc = subprocess.run(argv, cwd=work, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BuildError(tool.name, tool.module, "go mod download", proc.stdout + proc.stderr)
    info: dict[str, str] = json.loads(proc.stdout)
    return info


# ``path [version] => ./folder`` inside or outside a ``replace ( ... )`` block.
_LOCAL_REPLACE = re.compile(r"^\s*(?:replace\s+)?(\S+)(?:\s+v\S+)?\s*=>\s*\.\.?/\S+\s*$")


def local_replaces(gomod: str) -> list[str]:
    """The modules a go.mod replaces with local folders (e.g. Kubernetes' staging modules)."""
    return [m.group(1) for line in gomod.splitlines() if (m := _LOCAL_REPLACE.match(line))]


def _replace_local_folders(tool: Tool, work: Path, log: Path, progress: Progress) -> None:
    """Point every module the tool's go.mod takes from a local folder at its release."""
    gomod = Path(_module_download(tool, work)["GoMod"]).read_text()
    modules = local_replaces(gomod)
    if not modules:
        raise BuildError(tool.name, tool.module, "local replaces", "its go.mod replaces nothing")
    edits = [f"-replace={m}={m}@{tool.local_replaces}" for m in modules]
    step = f"go mod edit: {len(modules)} replaces at {tool.local_replaces}"
    _run_step(tool, step, [_go(), "mod", "edit", *edits], work, log, progress)


def _copy_data(tool: Tool, work: Path, out_dir: Path) -> None:
    """Copy the folders of the module the binaries read at run time (e.g. kwok's stages)."""
    if not tool.data:
        return
    root = Path(_module_download(tool, work)["Dir"])
    for folder in tool.data:
        source = root / folder
        if not source.is_dir():
            raise BuildError(tool.name, tool.module, "copy data", f"no folder {folder}")
        shutil.copytree(source, out_dir / folder)
        for path in (out_dir / folder).rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)  # module cache files are read-only


def _build_collector(
    tool: Tool, versions: Versions, work: Path, out_dir: Path, log: Path, progress: Progress
) -> None:
    """Generate the distribution's sources with the builder, then resolve and compile them.

    The builder's own module step runs ``go mod tidy``, which also wants every test-only
    dependency of every component; some of those are not served at the pinned release.
    So the builder only generates sources, and ``go get`` resolves what the build needs.
    Components kept in this repository are pointed at their directory with a ``replace``.
    """
    go = _go()
    bin_dir = work / "bin"
    _run_step(
        tool,
        "go install builder",
        [go, "install", f"{tool.module}@{tool.version}"],
        work,
        log,
        progress,
        env={"GOBIN": str(bin_dir)},
    )
    src = work / "src"
    manifest = work / "builder.yaml"
    manifest.write_text(render_manifest(versions, output_path=str(src), local_root=versions.root))
    _run_step(
        tool,
        "generate sources",
        [
            str(bin_dir / "builder"),
            f"--config={manifest}",
            "--skip-compilation",
            "--skip-get-modules",
        ],
        work,
        log,
        progress,
    )
    _resolve_collector_modules(tool, versions, src, log, progress)
    (binary,) = tool.binaries
    _run_step(
        tool,
        "go build",
        [go, "build", *go_flags(tool), "-o", str(out_dir / binary), "."],
        src,
        log,
        progress,
    )


def _resolve_collector_modules(
    tool: Tool, versions: Versions, src: Path, log: Path, progress: Progress
) -> None:
    """Create the distribution's go.mod: local replaces and the versions file's replaces
    first, then every pinned module."""
    go = _go()
    _run_step(tool, "go mod init", [go, "mod", "init", "kansoku.build/otelcol"], src, log, progress)
    for local in versions.local_modules():
        _run_step(
            tool,
            f"go mod edit -replace {local.module}",
            [go, "mod", "edit", f"-replace={local.module}={local.directory(versions.root)}"],
            src,
            log,
            progress,
        )
    for module, version in versions.replaces.items():
        _run_step(
            tool,
            f"go mod edit -replace {module}",
            [go, "mod", "edit", f"-replace={module}={module}@{version}"],
            src,
            log,
            progress,
        )
    modules = [
        f"{c.module}@{c.version}" for components in versions.components.values() for c in components
    ]
    modules += [f"go.opentelemetry.io/collector/otelcol@{versions.otelcol['core']}"]
    _run_step(tool, "go get components", [go, "get", *modules], src, log, progress)
    _run_step(tool, "go get imports", [go, "get", "."], src, log, progress)


def build(tool: Tool, versions: Versions, dest: Path, progress: Progress) -> Path:
    """Build ``tool`` into ``dest`` (its cache entry); returns ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = dest.parent / f".build-{dest.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    staged = work / "out"
    staged.mkdir()
    log = dest.parent / f"{dest.name}.build.log"
    log.write_text(f"build of {tool.name} {tool.release} ({tool.module} {tool.version})\n")
    progress(f"[{tool.name} {tool.release}] building from {tool.module} {tool.version}; log: {log}")
    started = time.monotonic()
    if tool.method == "collector-builder":
        _build_collector(tool, versions, work, staged, log, progress)
    elif tool.method == "maven":
        from kansoku.tools import maven  # it builds on this module's steps

        staged.rmdir()  # the unpacked distribution becomes it
        maven.fetch(tool, work, staged, log, progress)
    elif tool.method == "wrapper-module":
        _build_in_wrapper(tool, work, staged, log, progress)
    else:
        _build_prometheus_like(tool, work, staged, log, progress)
    _copy_data(tool, work, staged)
    missing = [b for b in tool.binaries if not (staged / tool.binary_path(b)).is_file()]
    if missing:
        raise BuildError(
            tool.name,
            tool.module,
            "collect binaries",
            f"the build produced no {', '.join(missing)}",
        )
    shutil.rmtree(dest, ignore_errors=True)
    staged.rename(dest)
    shutil.rmtree(work, ignore_errors=True)
    progress(f"[{tool.name} {tool.release}] built in {time.monotonic() - started:.0f}s -> {dest}")
    return dest
