"""What the tests (and ``kansoku cluster up --apply``) do to a running control plane:
server-side apply that fails on any warning, rollouts on the simulated nodes, scaling,
quota headroom, pruning and uninstalling by the project's labels."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from kansoku.cluster.access import Access, groups, username
from kansoku.cluster.controlplane import ControlPlane
from kansoku.cluster.kubectl import Kubectl
from kansoku.cluster.manifests import Rendering, key, label_selector, ours
from kansoku.errors import StackError
from kansoku.verify.poll import poll_until

FIELD_MANAGER = "kansoku"


class ApplyError(StackError):
    """The API server refused an object, or accepted it with a warning."""


@dataclass(frozen=True)
class Applied:
    stdout: str
    warnings: list[str]


def apply(
    plane: Kubectl, text: str, *, allow_warnings: bool = False, timeout: float = 120
) -> Applied:
    """Server-side apply; an error or (unless allowed) any warning raises ``ApplyError``."""
    proc = plane.kubectl(
        "apply",
        "--server-side",
        f"--field-manager={FIELD_MANAGER}",
        "--force-conflicts",
        "-f",
        "-",
        stdin=text,
        check=False,
        timeout=timeout,
    )
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("Warning:")]
    if proc.returncode != 0:
        raise ApplyError(f"server-side apply failed:\n{proc.stderr.strip()}")
    if warnings and not allow_warnings:
        raise ApplyError("server-side apply drew warnings:\n" + "\n".join(warnings))
    return Applied(proc.stdout, warnings)


def _claims_to_volumes(plane: ControlPlane) -> int:
    """Act as a volume provisioner: a PersistentVolume for each Pending claim.

    No storage exists here; the volume is an API object bound to the claim, which is all
    the scheduler and kwok look at. Returns how many volumes were made.
    """
    claims = plane.get_json("persistentvolumeclaims", "-A")["items"]
    made = 0
    for claim in claims:
        if claim["status"].get("phase") != "Pending" or claim["spec"].get("volumeName"):
            continue
        meta = claim["metadata"]
        volume = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            # Named by the claim's uid: a claim of the same name made later (after an
            # uninstall) is another claim and gets another volume.
            "metadata": {"name": f"simulated-{meta['uid']}"},
            "spec": {
                "capacity": {"storage": claim["spec"]["resources"]["requests"]["storage"]},
                "accessModes": claim["spec"]["accessModes"],
                "storageClassName": claim["spec"].get("storageClassName") or "",
                "persistentVolumeReclaimPolicy": "Retain",
                "claimRef": {
                    "namespace": meta["namespace"],
                    "name": meta["name"],
                    "uid": meta["uid"],
                },
                "hostPath": {"path": f"/var/lib/kansoku-simulated/{meta['name']}"},
            },
        }
        plane.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(volume))
        made += 1
    return made


def unready(obj: dict[str, Any]) -> str | None:
    """Why a workload has not rolled out yet (``None`` when it has)."""
    spec, status = obj["spec"], obj.get("status", {})
    if status.get("observedGeneration", 0) < obj["metadata"]["generation"]:
        return "not observed yet"
    if obj["kind"] == "DaemonSet":
        want = status.get("desiredNumberScheduled", 0)
        have = (status.get("updatedNumberScheduled", 0), status.get("numberAvailable", 0))
    else:
        want = spec.get("replicas", 1)
        have = (status.get("updatedReplicas", 0), status.get("availableReplicas", 0))
    if want > 0 and min(have) >= want:
        return None
    failures = [
        c.get("message", c["type"])
        for c in status.get("conditions", [])
        if c["type"] == "ReplicaFailure" and c["status"] == "True"
    ]
    return f"{min(have)}/{want} updated and available" + "".join(f" ({m})" for m in failures)


def settle(plane: ControlPlane, rendering: Rendering, timeout: float = 150) -> None:
    """Wait until every workload of ``rendering`` is rolled out, binding claims meanwhile,
    then confirm them with ``kubectl rollout status``.

    Each poll reads every workload in one request, and the confirmation asks once per
    namespace: a kubectl process per workload would cost more than the rollout itself.
    """
    workloads = [key(w) for w in rendering.workloads()]
    kinds = ",".join(sorted({kind.lower() for kind, _, _ in workloads}))

    def check() -> bool | None:
        _claims_to_volumes(plane)
        live = {key(o): o for o in plane.get_json(kinds, "-A")["items"]} if kinds else {}
        waiting = []
        for workload in workloads:
            kind, _namespace, name = workload
            obj = live.get(workload)
            reason = "not created yet" if obj is None else unready(obj)
            if reason:
                waiting.append(f"{kind}/{name}: {reason}")
        if waiting:
            raise StackError("; ".join(waiting))
        return True

    poll_until(check, what=f"the workloads of {rendering.name} to roll out", timeout=timeout)
    by_namespace: dict[str, list[str]] = {}
    for kind, namespace, name in workloads:
        by_namespace.setdefault(namespace, []).append(f"{kind.lower()}/{name}")
    for namespace, names in sorted(by_namespace.items()):
        plane.kubectl("rollout", "status", *names, "-n", namespace, "--timeout=60s", timeout=90)


def quota_headroom(plane: ControlPlane) -> list[tuple[str, str, str, str, float]]:
    """``(namespace, quota, resource, used of hard, fraction free)`` for every quota."""
    rows = []
    for quota in plane.get_json("resourcequotas", "-A")["items"]:
        hard, used = quota["status"].get("hard", {}), quota["status"].get("used", {})
        for resource in sorted(hard):
            total, taken = quantity(hard[resource]), quantity(used.get(resource, "0"))
            free = 1.0 if total == 0 else (total - taken) / total
            rows.append(
                (
                    quota["metadata"]["namespace"],
                    quota["metadata"]["name"],
                    resource,
                    f"{used.get(resource, '0')} of {hard[resource]}",
                    free,
                )
            )
    return rows


_UNITS = {
    "": 1.0,
    "n": 1e-9,  # metrics-server's CPU usage is in nanocores
    "u": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "Ki": 1024.0,
    "Mi": 1024.0**2,
    "Gi": 1024.0**3,
    "Ti": 1024.0**4,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
}


def quantity(text: str) -> float:
    """A Kubernetes resource quantity (``500m``, ``12Gi``, ``40``) as a number."""
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", text)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"not a resource quantity: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def live_objects(plane: Kubectl, kinds: set[str]) -> list[dict[str, Any]]:
    """Every object of ``kinds`` carrying the project's labels, wherever it is (on the
    simulated cluster or the real node alike)."""
    if not kinds:
        return []
    resources = ",".join(sorted(k.lower() for k in kinds))
    args = ("get", resources, "-A", "-l", label_selector(), "--show-managed-fields", "-o", "json")
    items = json.loads(plane.kubectl(*args).stdout)
    return [o for o in items["items"] if ours(o)]


def applied_by_us(obj: dict[str, Any]) -> bool:
    """Whether our field manager applied ``obj`` (not, e.g., a StatefulSet's claim, which
    carries our labels from its template but is the controller's)."""
    fields = obj["metadata"].get("managedFields") or []
    return any(m.get("manager") == FIELD_MANAGER and m.get("operation") == "Apply" for m in fields)


def prune(plane: Kubectl, current: Rendering, kinds: set[str]) -> list[tuple[str, str, str]]:
    """Delete the objects of ``kinds`` we applied (labelled, by our field manager) that
    ``current`` no longer has; returns what was deleted."""
    keep = current.keys()
    gone = []
    for obj in live_objects(plane, kinds):
        if key(obj) in keep or not applied_by_us(obj):
            continue
        kind, namespace, name = key(obj)
        scope = ["-n", namespace] if namespace else []
        plane.kubectl("delete", kind.lower(), name, *scope, "--wait=true", timeout=120)
        gone.append(key(obj))
    return gone


def uninstall(plane: ControlPlane, rendering: Rendering) -> None:
    """Delete what ``rendering`` created, as docs/kubernetes.md tells users to, and wait."""
    proc = plane.kubectl(
        "delete",
        "--ignore-not-found",
        "--wait=true",
        "-f",
        "-",
        stdin=rendering.text,
        check=False,
        timeout=240,
    )
    # `default` cannot be deleted; the API server says so and the rest is still deleted.
    errors = [
        line
        for line in proc.stderr.splitlines()
        if line.strip() and 'namespaces "default" is forbidden' not in line
    ]
    if errors:
        raise StackError("uninstall failed:\n" + "\n".join(errors))
    for namespace in rendering.of_kind("Namespace"):
        name = namespace["metadata"]["name"]
        if name != "default":
            plane.kubectl(
                "wait",
                "--for=delete",
                f"namespace/{name}",
                "--timeout=120s",
                check=False,
                timeout=150,
            )


def access_reviews(plane: ControlPlane, asks: list[tuple[str, Access]]) -> list[bool]:
    """Ask the API server's authorizer, one SubjectAccessReview per ``(account, access)``,
    whether that ServiceAccount may do that."""
    answers = []
    with plane.api() as api:
        for account, access in asks:
            review = {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SubjectAccessReview",
                "spec": {
                    "user": username(account),
                    "groups": groups(account),
                    "resourceAttributes": access.attributes(),
                },
            }
            response = api.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", json=review)
            response.raise_for_status()
            answers.append(bool(response.json()["status"].get("allowed", False)))
    return answers


def listable_kinds(plane: ControlPlane) -> list[str]:
    """Every resource type the API server can list (``kubectl api-resources``)."""
    out = plane.kubectl("api-resources", "--verbs=list", "-o", "name").stdout
    # Events are records of what happened, not objects anyone applies or deletes.
    return [r for r in out.split() if r not in ("events", "events.events.k8s.io")]


def leftovers(plane: ControlPlane) -> list[tuple[str, str, str]]:
    """Every object of any type still carrying the project's labels."""
    resources = ",".join(listable_kinds(plane))
    items = plane.get_json(resources, "-A", "-l", label_selector())["items"]
    return sorted(key(o) for o in items if ours(o))
