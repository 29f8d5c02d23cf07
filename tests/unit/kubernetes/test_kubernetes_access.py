"""The RBAC table of kansoku.cluster.access, evaluated offline against the rendered roles.

The cluster tests ask the real API server the same questions (SubjectAccessReview)."""

from __future__ import annotations

from kube_render import Rendering

from kansoku.cluster import access


def _accounts(rendering: Rendering) -> set[str]:
    return {access.service_account(o) for o in rendering.of_kind("ServiceAccount")}


def test_every_account_with_a_role_has_rows_in_the_table(rendering: Rendering) -> None:
    bound = access.bound_accounts(rendering.objects)
    assert bound, "some account is bound to a role"
    assert bound <= set(access.ALLOWED), f"no rows for {sorted(bound - set(access.ALLOWED))}"


def test_allowed_rows_are_granted(rendering: Rendering) -> None:
    for account in sorted(_accounts(rendering) & set(access.ALLOWED)):
        for request in access.ALLOWED[account]:
            assert access.rbac_allows(rendering.objects, account, request), (account, str(request))


def test_every_account_is_denied_the_forbidden_rows(rendering: Rendering) -> None:
    accounts = _accounts(rendering)
    assert accounts
    for account in sorted(accounts):
        for request in access.DENIED_FOR_ALL:
            assert not access.rbac_allows(rendering.objects, account, request), (
                account,
                str(request),
            )


def test_the_evaluator_sees_a_wildcard_grant() -> None:
    """A control for the offline evaluator: a role with wildcards grants the denied rows."""
    objects = [
        {
            "kind": "ClusterRole",
            "metadata": {"name": "all"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
        },
        {
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "all"},
            "roleRef": {"kind": "ClusterRole", "name": "all"},
            "subjects": [{"kind": "ServiceAccount", "name": "x", "namespace": "observability"}],
        },
    ]
    assert all(access.rbac_allows(objects, "observability/x", r) for r in access.DENIED_FOR_ALL)
    assert not access.rbac_allows(objects, "observability/y", access.DENIED_FOR_ALL[0])
