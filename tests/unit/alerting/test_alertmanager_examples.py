"""The documented receiver examples (config/alertmanager/examples): each drops into the config
in place of the receiver it names, passes amtool, and keeps its secret in a file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from amtool import CONFIG, CONFIG_DIR, amtool

EXAMPLES = sorted((CONFIG_DIR / "examples").glob("*.yaml"))
# Fields that would hold a secret inline; each has a *_file twin that the examples must use.
INLINE_SECRETS = {
    "api_url",
    "routing_key",
    "service_key",
    "auth_password",
    "auth_secret",
    "url",
    "webhook_url",
}


def _with_example(example: Path, into: Path) -> Path:
    """A copy of the config directory whose config has ``example`` in place of its namesake."""
    shutil.copytree(CONFIG_DIR / "templates", into / "templates")
    block = yaml.safe_load(example.read_text(encoding="utf-8"))
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    names = [r["name"] for r in config["receivers"]]
    assert block["name"] in names, f"{example.name} replaces no receiver"
    config["receivers"][names.index(block["name"])] = block
    path = into / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_there_are_slack_pagerduty_and_email_examples() -> None:
    assert [e.stem for e in EXAMPLES] == ["email", "pagerduty", "slack"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_passes_amtool_in_place_of_its_receiver(example: Path, tmp_path: Path) -> None:
    config = _with_example(example, tmp_path)
    proc = amtool("check-config", str(config), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_keeps_its_secret_in_a_file(example: Path) -> None:
    block = yaml.safe_load(example.read_text(encoding="utf-8"))
    (kind,) = [k for k in block if k != "name"]
    for config in block[kind]:
        assert not INLINE_SECRETS & set(config), f"{example.name}: a secret inline"
        files = [v for k, v in config.items() if k.endswith("_file")]
        assert files, example.name
        assert all(f.startswith("secrets/") for f in files), example.name
