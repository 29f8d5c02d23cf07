"""The pinned upstream versions (``tools/versions.yaml``) and the recipes derived from them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kansoku import locations
from kansoku.errors import ConfigError
from kansoku.tools import local_modules
from kansoku.tools.local_modules import LOCAL_VERSION, LocalModule

CORE_PREFIX = "go.opentelemetry.io/collector/"
CONTRIB_PREFIX = "github.com/open-telemetry/opentelemetry-collector-contrib/"
BUILDER_MODULE = "go.opentelemetry.io/collector/cmd/builder"
_KINDS = ("receivers", "processors", "exporters", "connectors", "extensions", "providers")


@dataclass(frozen=True)
class Tool:
    """One upstream project built here: its module, version and the binaries it yields."""

    name: str
    release: str
    module: str
    version: str
    binaries: dict[str, str]
    ldflags: str = ""
    # "go-install", "wrapper-module", "collector-builder", "files" (data only, no binary), or
    # "maven" (a Maven Central artifact, tools/maven.py)
    method: str = "go-install"
    also: tuple[str, ...] = ()  # further modules the wrapper requires at ``version``
    local_replaces: str = ""  # version the module's local-folder replaces are pointed at
    data: tuple[str, ...] = ()  # folders of the module copied next to the binaries
    tags: tuple[str, ...] = ()  # Go build tags (``go build -tags``)
    recipe: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # The ``ui:`` section (a web UI built from the module's source, see tools/webui.py); kept
    # out of ``recipe``, so a UI pin never rebuilds the binaries.
    ui: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    def binary_path(self, binary: str) -> str:
        """Where ``binary`` is inside the cache entry: its own name, or a Maven artifact's
        path inside the unpacked distribution."""
        return self.binaries[binary] if self.method == "maven" else binary

    @property
    def recipe_hash(self) -> str:
        """Short hash of everything that shapes the build; part of the cache key."""
        blob = json.dumps(self.recipe, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:10]

    @property
    def cache_key(self) -> str:
        return f"{self.name}-{self.release}-{self.recipe_hash}"


@dataclass(frozen=True)
class Component:
    """One module of the collector distribution; ``local`` is set for a repository directory."""

    module: str
    version: str
    local: LocalModule | None = None

    @property
    def gomod(self) -> str:
        """``module version``, as the builder manifest writes it."""
        return f"{self.module} {self.version}"


@dataclass(frozen=True)
class Versions:
    tools: dict[str, Tool]
    otelcol: dict[str, Any]
    components: dict[str, list[Component]]
    root: Path  # the checkout that ``local:`` components are read from
    # Dependency -> the served version it is replaced with (``otelcol.replaces``).
    replaces: dict[str, str] = field(default_factory=dict)

    def local_modules(self) -> list[LocalModule]:
        """The collector components built from directories of this repository."""
        return _local_modules(self.components)

    def tool_for_binary(self, binary: str) -> Tool:
        for tool in self.tools.values():
            if binary in tool.binaries:
                return tool
        known = sorted(b for t in self.tools.values() for b in t.binaries)
        raise ConfigError(str(locations.versions_file()), binary, f"one of {known}")


def _require(data: dict[str, Any], key: str, where: str, file: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise ConfigError(file, f"{where}.{key}", "a non-empty value")
    return data[key]


_ENTRY_SHAPE = "a single 'core: path', 'stable: path', 'contrib: path' or 'local: dir'"


def _component(entry: Any, otelcol: dict[str, Any], root: Path, file: str, where: str) -> Component:
    """One ``otelcol.components.<kind>[i]`` entry of the versions file."""
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ConfigError(file, where, _ENTRY_SHAPE)
    ((origin, path),) = entry.items()
    if origin == "local":
        local = local_modules.load(path, root, file, f"{where}.local")
        return Component(local.module, LOCAL_VERSION, local)
    upstream = {
        "core": (CORE_PREFIX, otelcol["core"]),
        "stable": (CORE_PREFIX, otelcol["stable"]),
        "contrib": (CONTRIB_PREFIX, otelcol["contrib"]),
    }
    if origin not in upstream:
        raise ConfigError(
            file, where, f"origin 'core', 'stable', 'contrib' or 'local', not {origin!r}"
        )
    prefix, version = upstream[origin]
    return Component(f"{prefix}{path}", version)


def collector_components(
    otelcol: dict[str, Any], root: Path, file: str
) -> dict[str, list[Component]]:
    """``kind -> components`` of the distribution; local paths are relative to ``root``."""
    components = _require(otelcol, "components", "otelcol", file)
    if not isinstance(components, dict):
        raise ConfigError(file, "otelcol.components", "a mapping of component kinds")
    return {
        kind: [
            _component(entry, otelcol, root, file, f"otelcol.components.{kind}[{i}]")
            for i, entry in enumerate(components.get(kind) or [])
        ]
        for kind in _KINDS
    }


def _local_modules(components: dict[str, list[Component]]) -> list[LocalModule]:
    return [c.local for rows in components.values() for c in rows if c.local]


def _go_tool(name: str, section: Any, file: str) -> Tool:
    """A tool built with ``go install`` (or in a wrapper module) from its section."""
    if not isinstance(section, dict):
        raise ConfigError(file, name, "a mapping with release, module, version, binaries")
    method = section.get("build", "go-install")
    if method not in ("go-install", "wrapper-module", "files", "maven"):
        raise ConfigError(
            file, f"{name}.build", "'go-install', 'wrapper-module', 'files' or 'maven'"
        )
    if method == "maven":
        for key in ("sha1", "packaging", "plugin"):
            _require(section, key, name, file)
    if method == "files" and not section.get("data"):
        raise ConfigError(file, f"{name}.data", "the folders to take from the module")
    return Tool(
        name=name,
        release=str(_require(section, "release", name, file)),
        module=_require(section, "module", name, file),
        version=_require(section, "version", name, file),
        binaries={} if method == "files" else dict(_require(section, "binaries", name, file)),
        ldflags=" ".join(str(section.get("ldflags", "")).split()),
        method=method,
        recipe={k: v for k, v in section.items() if k != "ui"},
        ui=section.get("ui"),
        also=tuple(_strings(section, "also", name, file)),
        local_replaces=str(section.get("local-replaces", "")),
        data=tuple(_strings(section, "data", name, file)),
        tags=tuple(_strings(section, "tags", name, file)),
    )


def _strings(section: dict[str, Any], key: str, name: str, file: str) -> list[str]:
    value = section.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(file, f"{name}.{key}", "a list of non-empty strings")
    return list(value)


def _collector_tool(
    otelcol: dict[str, Any], components: dict[str, list[Component]], file: str
) -> Tool:
    """The collector distribution; its recipe carries the digest of each local component."""
    digests = {m.path: m.digest for m in _local_modules(components)}
    return Tool(
        name="otelcol",
        release=str(otelcol["release"]),
        module=BUILDER_MODULE,
        version=otelcol["builder"],
        binaries={otelcol["name"]: "."},
        method="collector-builder",
        recipe={**otelcol, "local_modules": digests},
        tags=tuple(_strings(otelcol, "tags", "otelcol", file)),
    )


def load(path: Path | None = None, root: Path | None = None) -> Versions:
    """Read and check the versions file; ``local:`` components are found under ``root``."""
    path = path or locations.versions_file()
    root = root or locations.project_root()
    file = str(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(file, "(file)", f"readable YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(file, "(top level)", "a mapping of tool names")
    tools = {
        name: _go_tool(name, section, file) for name, section in data.items() if name != "otelcol"
    }
    otelcol = _require(data, "otelcol", "", file)
    for key in ("release", "builder", "core", "stable", "contrib", "name"):
        _require(otelcol, key, "otelcol", file)
    components = collector_components(otelcol, root, file)
    tools["otelcol"] = _collector_tool(otelcol, components, file)
    replaces = _replaces(otelcol, file)
    return Versions(tools, otelcol, components, root, replaces)


def _replaces(otelcol: dict[str, Any], file: str) -> dict[str, str]:
    """``otelcol.replaces``: a dependency the proxy does not serve at the version a component
    requires, pointed at one it serves (``module: version``)."""
    value = otelcol.get("replaces") or {}
    if not isinstance(value, dict) or not all(
        isinstance(m, str) and isinstance(v, str) and v.startswith("v") for m, v in value.items()
    ):
        raise ConfigError(file, "otelcol.replaces", "a mapping of module path -> 'vX.Y.Z'")
    return dict(value)


MANIFEST_HEADER = """\
# Generated by `kansoku tools manifest` from tools/versions.yaml; do not edit by hand.
# OpenTelemetry Collector builder manifest of kansoku's collector distribution.
"""


def _manifest_entry(component: Component, local_root: Path | None) -> dict[str, str]:
    """A builder manifest module; a local one carries its directory (a ``replace``)."""
    entry = {"gomod": component.gomod}
    if component.local is not None:
        local = component.local
        entry["path"] = str(local.directory(local_root)) if local_root else f"./{local.path}"
    return entry


def render_manifest(
    versions: Versions, output_path: str = "./_build", local_root: Path | None = None
) -> str:
    """The collector-builder manifest for the pinned component set.

    Local components' paths are relative to the repository root (where the committed manifest
    is meant to be used from) unless ``local_root`` gives the checkout to point them at.
    """
    otelcol = versions.otelcol
    manifest: dict[str, Any] = {
        "dist": {
            "name": otelcol["name"],
            "description": "kansoku OpenTelemetry Collector distribution",
            "output_path": output_path,
            "version": str(otelcol["release"]),
        }
    }
    for kind, components in versions.components.items():
        manifest[kind] = [_manifest_entry(c, local_root) for c in components]
    if versions.replaces:
        manifest["replaces"] = [f"{m} => {m} {v}" for m, v in versions.replaces.items()]
    return MANIFEST_HEADER + yaml.safe_dump(manifest, sort_keys=False, width=200)


def manifest_file() -> Path:
    return locations.project_root() / "tools" / "otelcol-builder.yaml"
