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
    method: str = "go-install"  # "go-install", "wrapper-module" or "collector-builder"
    recipe: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def recipe_hash(self) -> str:
        """Short hash of everything that shapes the build; part of the cache key."""
        blob = json.dumps(self.recipe, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:10]

    @property
    def cache_key(self) -> str:
        return f"{self.name}-{self.release}-{self.recipe_hash}"


@dataclass(frozen=True)
class Versions:
    tools: dict[str, Tool]
    otelcol: dict[str, Any]

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


def collector_modules(otelcol: dict[str, Any], file: str) -> dict[str, list[str]]:
    """``kind -> ["module version", ...]`` for the builder manifest, every module at one release."""
    out: dict[str, list[str]] = {}
    components = _require(otelcol, "components", "otelcol", file)
    for kind in _KINDS:
        entries = components.get(kind) or []
        rows = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or len(entry) != 1:
                raise ConfigError(
                    file,
                    f"otelcol.components.{kind}[{i}]",
                    "a single 'core: path', 'stable: path' or 'contrib: path'",
                )
            ((origin, path),) = entry.items()
            if origin == "contrib":
                rows.append(f"{CONTRIB_PREFIX}{path} {otelcol['contrib']}")
            elif origin == "core":
                rows.append(f"{CORE_PREFIX}{path} {otelcol['core']}")
            elif origin == "stable":
                rows.append(f"{CORE_PREFIX}{path} {otelcol['stable']}")
            else:
                raise ConfigError(
                    file,
                    f"otelcol.components.{kind}[{i}]",
                    f"origin 'core', 'stable' or 'contrib', not {origin!r}",
                )
        out[kind] = rows
    return out


def load(path: Path | None = None) -> Versions:
    """Read and check the versions file."""
    path = path or locations.versions_file()
    file = str(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(file, "(file)", f"readable YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(file, "(top level)", "a mapping of tool names")
    tools: dict[str, Tool] = {}
    for name, section in data.items():
        if name == "otelcol":
            continue
        if not isinstance(section, dict):
            raise ConfigError(file, name, "a mapping with release, module, version, binaries")
        method = section.get("build", "go-install")
        if method not in ("go-install", "wrapper-module"):
            raise ConfigError(file, f"{name}.build", "'go-install' or 'wrapper-module'")
        tools[name] = Tool(
            name=name,
            release=str(_require(section, "release", name, file)),
            module=_require(section, "module", name, file),
            version=_require(section, "version", name, file),
            binaries=dict(_require(section, "binaries", name, file)),
            ldflags=" ".join(str(section.get("ldflags", "")).split()),
            method=method,
            recipe=section,
        )
    otelcol = _require(data, "otelcol", "", file)
    for key in ("release", "builder", "core", "stable", "contrib", "name"):
        _require(otelcol, key, "otelcol", file)
    collector_modules(otelcol, file)
    tools["otelcol"] = Tool(
        name="otelcol",
        release=str(otelcol["release"]),
        module=BUILDER_MODULE,
        version=otelcol["builder"],
        binaries={otelcol["name"]: "."},
        method="collector-builder",
        recipe=otelcol,
    )
    return Versions(tools=tools, otelcol=otelcol)


MANIFEST_HEADER = """\
# Generated by `kansoku tools manifest` from tools/versions.yaml; do not edit by hand.
# OpenTelemetry Collector builder manifest of kansoku's collector distribution.
"""


def render_manifest(versions: Versions, output_path: str = "./_build") -> str:
    """The collector-builder manifest for the pinned component set."""
    otelcol = versions.otelcol
    manifest: dict[str, Any] = {
        "dist": {
            "name": otelcol["name"],
            "description": "kansoku OpenTelemetry Collector distribution",
            "output_path": output_path,
            "version": str(otelcol["release"]),
        }
    }
    for kind, rows in collector_modules(otelcol, str(locations.versions_file())).items():
        manifest[kind] = [{"gomod": row} for row in rows]
    return MANIFEST_HEADER + yaml.safe_dump(manifest, sort_keys=False, width=200)


def manifest_file() -> Path:
    return locations.project_root() / "tools" / "otelcol-builder.yaml"
