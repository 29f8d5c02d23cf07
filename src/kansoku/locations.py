"""Where kansoku finds its configuration and keeps its cache and data."""

from __future__ import annotations

import os
from pathlib import Path

from kansoku import conventions
from kansoku.errors import ConfigError

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The repository checkout this package runs from (``src/kansoku/../..``)."""
    return _PACKAGE_DIR.parent.parent


def config_dir() -> Path:
    """The one copy of the configuration: ``config/`` unless ``KANSOKU_CONFIG_DIR`` says."""
    override = os.environ.get(conventions.ENV_CONFIG_DIR)
    path = Path(override) if override else project_root() / "config"
    if not path.is_dir():
        raise ConfigError(str(path), conventions.ENV_CONFIG_DIR, "an existing config directory")
    return path


def versions_file() -> Path:
    """The committed file with every pinned upstream version."""
    return project_root() / "tools" / "versions.yaml"


def cache_dir() -> Path:
    """Per-version build cache, outside the repository (XDG cache directory)."""
    override = os.environ.get(conventions.ENV_CACHE_DIR)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / conventions.PROJECT


def default_data_dir() -> Path:
    """Where local mode keeps its data unless ``--data-dir`` or ``KANSOKU_DATA_DIR`` say."""
    override = os.environ.get(conventions.ENV_DATA_DIR)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / conventions.PROJECT
