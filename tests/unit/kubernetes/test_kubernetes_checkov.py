"""checkov finds no failed check in any rendering; every skip is deliberate and justified."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kube_render import RENDERINGS, Rendering

# The checks we skip on purpose, each with its reason written on the object itself.
ALLOWED_SKIPS = {
    "CKV_K8S_21",  # the shop services live in `default`, as the architecture document says
    "CKV_K8S_38",  # the collector, the node agent and Prometheus read the API server
    "CKV_K8S_43",  # images pinned by tag in the kustomize images entries, not by digest
    "CKV_K8S_15",  # dev only: side-loaded shop images are never pulled
    "CKV_K8S_40",  # components/opensearch: the official image's files belong to its uid 1000
}


def _checkov() -> list[str]:
    found = shutil.which("checkov")
    return [found] if found else [sys.executable, "-m", "checkov.main"]


@pytest.fixture(scope="session")
def checkov_reports(
    renderings: dict[str, Rendering], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """One checkov run over every rendering (checkov is slow to start)."""
    work = tmp_path_factory.mktemp("checkov")
    files = {}
    for name, rendering in renderings.items():
        path = work / f"{name.replace('+', '-')}.yaml"
        path.write_text(rendering.text)
        files[name] = path
    argv = [*_checkov(), "--framework", "kubernetes", "--skip-download", "--output", "json"]
    for path in files.values():
        argv += ["--file", str(path)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600, cwd=work)
    assert proc.stdout.strip(), f"checkov printed nothing:\n{proc.stderr[-2000:]}"
    data = json.loads(proc.stdout)
    reports = data if isinstance(data, list) else [data]
    by_file: dict[str, dict[str, Any]] = {}
    for name, path in files.items():
        results: dict[str, list[dict[str, Any]]] = {"failed": [], "skipped": [], "passed": []}
        for report in reports:
            for kind in results:
                results[kind] += [
                    r
                    for r in report.get("results", {}).get(f"{kind}_checks", [])
                    if Path(r["file_abs_path"]).name == path.name
                ]
        by_file[name] = results
    return by_file


@pytest.mark.parametrize("name", RENDERINGS)
def test_checkov_reports_no_failed_check(checkov_reports: dict[str, Any], name: str) -> None:
    report = checkov_reports[name]
    assert report["passed"], f"checkov checked nothing in {name}"
    failed = sorted(f"{r['check_id']} {r['resource']}: {r['check_name']}" for r in report["failed"])
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("name", RENDERINGS)
def test_every_checkov_skip_is_allowed_and_justified(
    checkov_reports: dict[str, Any], name: str
) -> None:
    for result in checkov_reports[name]["skipped"]:
        assert result["check_id"] in ALLOWED_SKIPS, result["check_id"]
        reason = (result.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason) >= 40, f"{result['check_id']} on {result['resource']}: {reason!r}"


def test_skip_annotations_carry_a_reason(renderings: dict[str, Rendering]) -> None:
    seen = 0
    for rendering in renderings.values():
        for obj in rendering.objects:
            for key, value in (obj["metadata"].get("annotations") or {}).items():
                if key.startswith("checkov.io/skip"):
                    seen += 1
                    check, _, reason = value.partition("=")
                    assert check in ALLOWED_SKIPS, (obj["metadata"]["name"], check)
                    assert len(reason.split()) >= 6, (obj["metadata"]["name"], value)
    assert seen
