"""What each of our ServiceAccounts may and may not do: one table, checked two ways.

The offline tests evaluate it against the rendered Roles and bindings (``rbac_allows``);
the cluster tests ask the real API server with a SubjectAccessReview for each row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

OBSERVABILITY = "observability"
AGENT_LEASE = "otel-agent-cluster-metrics"


@dataclass(frozen=True)
class Access:
    """One request: verb on group/resource[/subresource] [named] [in a namespace]."""

    verb: str
    resource: str
    group: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str = ""  # "" asks cluster-wide

    def __str__(self) -> str:
        what = "/".join(p for p in (self.group, self.resource, self.subresource) if p)
        where = f" in {self.namespace}" if self.namespace else " cluster-wide"
        return f"{self.verb} {what}{' ' + self.name if self.name else ''}{where}"

    def attributes(self) -> dict[str, str]:
        """``resourceAttributes`` of a SubjectAccessReview."""
        fields = {
            "verb": self.verb,
            "group": self.group,
            "resource": self.resource,
            "subresource": self.subresource,
            "name": self.name,
            "namespace": self.namespace,
        }
        return {k: v for k, v in fields.items() if v}


def _read(group: str, resources: Iterable[str], namespace: str = "") -> tuple[Access, ...]:
    return tuple(
        Access(verb, r, group, namespace=namespace)
        for r in resources
        for verb in ("get", "list", "watch")
    )


# ServiceAccount ("namespace/name") -> what it must be allowed.
ALLOWED: dict[str, tuple[Access, ...]] = {
    f"{OBSERVABILITY}/prometheus": (
        *_read("", ("pods", "services", "endpoints", "configmaps")),
        *_read("discovery.k8s.io", ("endpointslices",)),
    ),
    f"{OBSERVABILITY}/otel-collector": (
        *_read("", ("pods", "namespaces")),
        *_read("apps", ("replicasets",)),
    ),
    f"{OBSERVABILITY}/otel-agent": (
        Access("get", "nodes", subresource="stats", name="kwok-node-0"),
        *_read("", ("pods", "nodes", "namespaces", "replicationcontrollers", "resourcequotas")),
        *_read("apps", ("deployments", "replicasets", "daemonsets", "statefulsets")),
        *_read("batch", ("jobs", "cronjobs")),
        *_read("autoscaling", ("horizontalpodautoscalers",)),
        Access("create", "leases", "coordination.k8s.io", namespace=OBSERVABILITY),
        *(
            Access(verb, "leases", "coordination.k8s.io", name=AGENT_LEASE, namespace=OBSERVABILITY)
            for verb in ("get", "update", "patch")
        ),
    ),
}


def _writes_outside_own_lease() -> tuple[Access, ...]:
    lease = ("leases", "coordination.k8s.io")
    return (
        Access("update", *lease, name="kube-controller-manager", namespace="kube-system"),
        Access("update", *lease, name="some-other-lease", namespace=OBSERVABILITY),
        Access("delete", *lease, name=AGENT_LEASE, namespace=OBSERVABILITY),
        Access("create", *lease, namespace="kube-system"),
        Access("create", "pods", namespace=OBSERVABILITY),
        Access("patch", "deployments", "apps", name="otel-collector", namespace=OBSERVABILITY),
        Access("update", "configmaps", namespace=OBSERVABILITY),
        Access(
            "create",
            "serviceaccounts",
            "",
            subresource="token",
            name="prometheus",
            namespace=OBSERVABILITY,
        ),
        Access("create", "rolebindings", "rbac.authorization.k8s.io", namespace=OBSERVABILITY),
        Access("escalate", "clusterroles", "rbac.authorization.k8s.io"),
        Access("impersonate", "serviceaccounts", namespace=OBSERVABILITY),
    )


# What every ServiceAccount of ours must be denied, whatever its role.
DENIED_FOR_ALL: tuple[Access, ...] = (
    *(Access(verb, "secrets") for verb in ("get", "list", "watch")),
    *(Access(verb, "secrets", namespace=OBSERVABILITY) for verb in ("get", "list")),
    Access("*", "*", "*"),
    Access("*", "*", "*", namespace=OBSERVABILITY),
    Access("list", "*", "*"),
    Access("get", "nodes", subresource="proxy", name="kwok-node-0"),
    Access("create", "nodes", subresource="proxy", name="kwok-node-0"),
    Access("create", "pods", subresource="exec", name="any", namespace=OBSERVABILITY),
    *_writes_outside_own_lease(),
)


def service_account(obj: dict[str, Any]) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


def username(account: str) -> str:
    namespace, name = account.split("/")
    return f"system:serviceaccount:{namespace}:{name}"


def groups(account: str) -> list[str]:
    namespace = account.split("/", maxsplit=1)[0]
    return ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"]


def _binds(binding: dict[str, Any], account: str) -> bool:
    namespace, name = account.split("/")
    for subject in binding.get("subjects") or []:
        if subject["kind"] == "ServiceAccount" and (subject.get("namespace"), subject["name"]) == (
            namespace,
            name,
        ):
            return True
        if subject["kind"] == "Group" and subject["name"] in groups(account):
            return True
    return False


def _rule_allows(rule: dict[str, Any], access: Access) -> bool:
    def has(values: list[str], wanted: str) -> bool:
        return "*" in values or wanted in values

    resource = f"{access.resource}/{access.subresource}" if access.subresource else access.resource
    names = rule.get("resourceNames") or []
    return (
        has(rule.get("verbs", []), access.verb)
        and has(rule.get("apiGroups", []), access.group)
        and has(rule.get("resources", []), resource)
        and (not names or access.name in names)
    )


def rbac_allows(objects: list[dict[str, Any]], account: str, access: Access) -> bool:
    """Whether the rendered RBAC objects grant ``access`` to ``account`` (the real
    authorizer's rules for Roles, ClusterRoles and their bindings; aggregation not used)."""
    roles = {
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
        for o in objects
        if o["kind"] in ("Role", "ClusterRole")
    }
    for binding in objects:
        if binding["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not _binds(binding, account):
            continue
        scope = binding["metadata"].get("namespace", "")
        if binding["kind"] == "RoleBinding" and access.namespace != scope:
            continue
        ref = binding["roleRef"]
        role_ns = scope if ref["kind"] == "Role" else ""
        role = roles.get((ref["kind"], role_ns, ref["name"]))
        if role and any(_rule_allows(r, access) for r in role.get("rules") or []):
            return True
    return False


def bound_accounts(objects: list[dict[str, Any]]) -> set[str]:
    """ServiceAccounts that some rendered binding grants a role to."""
    accounts = {service_account(o) for o in objects if o["kind"] == "ServiceAccount"}
    return {
        a
        for a in accounts
        for o in objects
        if o["kind"] in ("RoleBinding", "ClusterRoleBinding") and _binds(o, a)
    }
