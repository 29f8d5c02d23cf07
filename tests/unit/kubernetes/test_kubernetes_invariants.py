"""Invariants of the rendered objects: Pod Security "restricted", resources and probes, the
collector's figures from the architecture document, least-privilege RBAC, no default
credentials, and the shop services' wiring."""

from __future__ import annotations

import re
from typing import Any

import pytest
from kube_render import Rendering, pod_specs

from kansoku import conventions

RESTRICTED_LABELS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def _mebibytes(quantity: str) -> int:
    units = {"Mi": 1, "Gi": 1024}
    match = re.fullmatch(r"(\d+)(Mi|Gi)", quantity)
    assert match, quantity
    return int(match.group(1)) * units[match.group(2)]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_namespaces_enforce_the_restricted_profile(rendering: Rendering) -> None:
    namespaces = rendering.of_kind("Namespace")
    assert {n["metadata"]["name"] for n in namespaces} == {"observability", "default"}
    for namespace in namespaces:
        assert RESTRICTED_LABELS.items() <= namespace["metadata"]["labels"].items()


# Every workload the overlays render, by kind/name: a new one is added here on purpose.
WORKLOADS = {
    "Deployment/otel-collector",
    "DaemonSet/otel-agent",
    "Deployment/prometheus",
    "Deployment/jaeger",
    "Deployment/grafana",
    "StatefulSet/victorialogs",
    "StatefulSet/alertmanager",
    "Deployment/shop-backend",
    "Deployment/shop-frontend",
    "Deployment/loadgen",
}


def test_every_pod_meets_the_restricted_profile(rendering: Rendering) -> None:
    workloads = list(pod_specs(rendering))
    expected = WORKLOADS | ({"StatefulSet/loki"} if rendering.name.endswith("+loki") else set())
    if rendering.name.endswith("+opensearch"):
        expected |= {"StatefulSet/opensearch", "CronJob/traces-retention"}
    assert {where for where, _ in workloads} == expected
    for where, spec in workloads:
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, where
        assert pod.get("runAsUser", 1) != 0, where
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(key), (where, key)
        for volume in spec.get("volumes", []):
            assert "hostPath" not in volume, (where, volume["name"])
        for container in _containers(spec):
            sc = container.get("securityContext", {})
            name = f"{where}/{container['name']}"
            assert sc.get("allowPrivilegeEscalation") is False, name
            assert sc.get("privileged", False) is False, name
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], name
            assert not sc.get("capabilities", {}).get("add"), name
            assert sc.get("readOnlyRootFilesystem") is True, name
            assert sc.get("runAsUser", pod.get("runAsUser")) != 0, name
            assert not any("hostPort" in p for p in container.get("ports", [])), name


def _volumes(rendering: Rendering, where: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The pod's volumes by name, with a StatefulSet's claim templates as claims."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    kind, name = where.split("/")
    if kind == "StatefulSet":
        for claim in rendering.find(kind, name)["spec"].get("volumeClaimTemplates", []):
            claim_name = claim["metadata"]["name"]
            volumes[claim_name] = {"name": claim_name, "persistentVolumeClaim": {}}
    return volumes


def _written_by_init(spec: dict[str, Any], volume: str) -> bool:
    return any(
        m["name"] == volume and not m.get("readOnly", False)
        for c in spec.get("initContainers", [])
        for m in c.get("volumeMounts", [])
    )


def test_writable_paths_are_explicit_volumes(rendering: Rendering) -> None:
    for where, spec in pod_specs(rendering):
        volumes = _volumes(rendering, where, spec)
        for container in _containers(spec):
            for mount in container.get("volumeMounts", []):
                volume = volumes[mount["name"]]
                writable = not mount.get("readOnly", False)
                if writable:
                    assert "emptyDir" in volume or "persistentVolumeClaim" in volume, (
                        where,
                        mount["mountPath"],
                    )
                    if "emptyDir" in volume:
                        assert volume["emptyDir"].get("sizeLimit"), (where, mount["name"])
                else:
                    # A data volume mounted read-only is a mistake, unless an init
                    # container fills it for the main one (Grafana's plugins).
                    data = {"emptyDir", "persistentVolumeClaim"} & set(volume)
                    assert not data or _written_by_init(spec, mount["name"]), (
                        where,
                        mount["mountPath"],
                        "data volume mounted read-only",
                    )


def test_every_container_has_requests_limits_and_both_probes(rendering: Rendering) -> None:
    for where, spec in pod_specs(rendering):
        for container in spec.get("initContainers", []):
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), (where, kind)
        # A job runs to completion: readiness and liveness mean nothing for it.
        batch = where.split("/")[0] in ("Job", "CronJob")
        for container in spec["containers"]:
            name = f"{where}/{container['name']}"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), (name, kind)
            assert batch or container.get("readinessProbe"), name
            assert batch or container.get("livenessProbe"), name
            assert container.get("imagePullPolicy") in ("Always", "IfNotPresent"), name
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1], name
            assert not image.endswith(":latest"), name


def test_collector_resources_match_the_architecture_document(rendering: Rendering) -> None:
    collector = rendering.find("Deployment", "otel-collector", "observability")
    container = collector["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {
        "requests": {"memory": "256Mi", "cpu": "100m"},
        "limits": {"memory": "512Mi", "cpu": "500m"},
    }
    # Our distribution: the config uses series_limit and log_limit, which the contrib image lacks.
    # (dev side-loads it as :dev, production names its registry)
    assert container["image"].split(":")[0].endswith("kansoku/otel-collector"), container["image"]
    assert "replicas" not in collector["spec"], "the HPA owns the replica count"


@pytest.mark.parametrize(
    "workload", [("Deployment", "otel-collector"), ("DaemonSet", "otel-agent")]
)
def test_memory_settings_derive_from_the_limit(
    rendering: Rendering, workload: tuple[str, str]
) -> None:
    obj = rendering.find(*workload, "observability")
    container = obj["spec"]["template"]["spec"]["containers"][0]
    limit = _mebibytes(container["resources"]["limits"]["memory"])
    env = _env(container)
    hard = int(env[conventions.ENV_COLLECTOR_MEMORY_LIMIT_MIB])
    spike = int(env["KANSOKU_COLLECTOR_MEMORY_SPIKE_MIB"])
    assert hard == limit * 8 // 10
    assert spike == limit * 2 // 10
    assert env["GOMEMLIMIT"] == f"{hard}MiB"


def test_collector_scales_2_to_10_at_70_percent_cpu_with_a_pdb(rendering: Rendering) -> None:
    hpa = rendering.find("HorizontalPodAutoscaler", "otel-collector", "observability")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "otel-collector",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    pdb = rendering.find("PodDisruptionBudget", "otel-collector", "observability")
    labels = rendering.find("Deployment", "otel-collector")["spec"]["template"]["metadata"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels["labels"].items()


def test_collector_service_exposes_the_documented_ports(rendering: Rendering) -> None:
    service = rendering.find("Service", "otel-collector", "observability")
    assert {p["port"] for p in service["spec"]["ports"]} == {4317, 4318, 8888, 13133}


def _rules(rendering: Rendering, name: str) -> list[dict[str, Any]]:
    return rendering.find("ClusterRole", name)["rules"]


def test_prometheus_rbac_is_read_only_discovery(rendering: Rendering) -> None:
    granted = {
        (group, resource, verb)
        for rule in _rules(rendering, "kansoku-prometheus")
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    expected = {
        (group, resource, verb)
        for group, resource in [
            ("", "pods"),
            ("", "services"),
            ("", "endpoints"),
            ("", "configmaps"),
            ("discovery.k8s.io", "endpointslices"),
        ]
        for verb in ("get", "list", "watch")
    }
    assert granted == expected


def test_no_role_grants_wildcards_secrets_or_writes_outside_the_lease(rendering: Rendering) -> None:
    for role in rendering.of_kind("ClusterRole", "Role"):
        for rule in role["rules"]:
            where = role["metadata"]["name"]
            assert "*" not in rule["verbs"], where
            assert "*" not in rule["resources"], where
            assert "secrets" not in rule["resources"], where
            writes = set(rule["verbs"]) - {"get", "list", "watch"}
            if writes:
                assert rule["resources"] == ["leases"], where
                assert role["kind"] == "Role", where


def test_collector_rbac_is_what_k8sattributes_needs(rendering: Rendering) -> None:
    resources = {
        (g, r)
        for rule in _rules(rendering, "kansoku-otel-collector")
        for g in rule["apiGroups"]
        for r in rule["resources"]
    }
    assert resources == {("", "pods"), ("", "namespaces"), ("apps", "replicasets")}


def test_only_api_readers_mount_a_token(rendering: Rendering) -> None:
    readers = {"Deployment/otel-collector", "DaemonSet/otel-agent", "Deployment/prometheus"}
    for where, spec in pod_specs(rendering):
        assert spec.get("serviceAccountName") not in (None, "default"), where
        assert spec.get("automountServiceAccountToken") is (where in readers), where
    for account in rendering.of_kind("ServiceAccount"):
        assert account.get("automountServiceAccountToken") is False


def test_prometheus_flags_and_retention_setting(rendering: Rendering) -> None:
    prometheus = rendering.find("Deployment", "prometheus", "observability")
    container = prometheus["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "prom/prometheus:v3.16.0"
    for flag in (
        "--web.enable-remote-write-receiver",
        "--web.enable-otlp-receiver",
        "--enable-feature=exemplar-storage",
        "--storage.tsdb.retention.time=$(PROMETHEUS_RETENTION)",
    ):
        assert flag in container["args"]
    source = _env(container)["PROMETHEUS_RETENTION"]["configMapKeyRef"]
    settings = rendering.find("ConfigMap", source["name"], "observability")
    retention = {"dev": "2d", "production": "30d"}.get(rendering.name.split("+")[0], "15d")
    assert settings["data"][source["key"]] == retention


def test_base_retention_is_15_days() -> None:
    import yaml
    from kube_render import KUBERNETES

    base = yaml.safe_load((KUBERNETES / "base" / "kustomization.yaml").read_text())
    settings = next(g for g in base["configMapGenerator"] if g["name"] == "prometheus-settings")
    assert "retention=15d" in settings["literals"]


def test_dev_has_no_volumes_and_production_persists_prometheus(
    renderings: dict[str, Rendering],
) -> None:
    dev = renderings["dev"]
    assert not dev.of_kind("PersistentVolumeClaim")
    for where, spec in pod_specs(dev):
        assert not any("persistentVolumeClaim" in v for v in spec.get("volumes", [])), where
    for statefulset in dev.of_kind("StatefulSet"):
        assert not statefulset["spec"].get("volumeClaimTemplates"), statefulset["metadata"]
    production = renderings["production"]
    claim = production.find("PersistentVolumeClaim", "prometheus-data", "observability")
    spec = production.find("Deployment", "prometheus")["spec"]
    data = next(v for v in spec["template"]["spec"]["volumes"] if v["name"] == "data")
    assert data == {
        "name": "data",
        "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]},
    }
    assert spec["strategy"]["type"] == "Recreate"


def test_production_jaeger_uses_opensearch_and_grafana_postgresql(
    renderings: dict[str, Rendering],
) -> None:
    production = renderings["production"]
    jaeger = production.find("Deployment", "jaeger")["spec"]["template"]["spec"]["containers"][0]
    assert "--config=/etc/jaeger/jaeger-opensearch.yaml" in jaeger["args"]
    assert "configMapKeyRef" in _env(jaeger)["KANSOKU_JAEGER_OPENSEARCH_URLS"]
    grafana = production.find("Deployment", "grafana")
    env = _env(grafana["spec"]["template"]["spec"]["containers"][0])
    assert env["GF_DATABASE_TYPE"] == "postgres"
    assert env["GF_DATABASE_PASSWORD__FILE"].startswith("/etc/grafana/database/")
    for name in ("jaeger", "grafana", "otel-collector"):
        deployment = production.find("Deployment", name)
        assert deployment["spec"]["template"]["spec"]["topologySpreadConstraints"], name
        production.find("PodDisruptionBudget", name, "observability")
    dev_jaeger = renderings["dev"].find("Deployment", "jaeger")["spec"]["template"]["spec"]
    assert dev_jaeger["containers"][0]["args"] == ["--config=/etc/jaeger/jaeger.yaml"]


def test_grafana_has_no_default_credentials(rendering: Rendering) -> None:
    assert not rendering.of_kind("Secret"), "credentials are supplied, never rendered"
    grafana = rendering.find("Deployment", "grafana", "observability")
    spec = grafana["spec"]["template"]["spec"]
    env = _env(spec["containers"][0])
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/etc/grafana/secrets/admin-password"
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    admin = next(v for v in spec["volumes"] if v["name"] == "admin")
    assert admin["secret"]["secretName"] == "grafana-admin"
    assert not admin["secret"].get("optional", False)
    assert "admin:admin" not in rendering.text
    assert not re.search(r"(?i)password\s*[:=]\s*['\"]?admin\b", rendering.text)


def test_grafana_datasources_have_fixed_uids_and_the_exemplar_link(rendering: Rendering) -> None:
    import yaml

    text = rendering.configmap("grafana-datasources")["data"]["datasources.yaml"]
    sources = {d["uid"]: d for d in yaml.safe_load(text)["datasources"]}
    assert sources["prometheus"]["type"] == "prometheus"
    assert sources["jaeger"]["type"] == "jaeger"
    (link,) = sources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert link == {"name": "trace_id", "datasourceUid": "jaeger"}
    env = _env(rendering.find("Deployment", "grafana")["spec"]["template"]["spec"]["containers"][0])
    assert env["KANSOKU_PROMETHEUS_URL"] == "http://prometheus.observability.svc:9090"
    assert env["KANSOKU_JAEGER_QUERY_URL"] == "http://jaeger.observability.svc:16686"


SHOP = {
    "shop-backend": ("backend", conventions.PORTS_BY_KEY["shop-backend"].default),
    "shop-frontend": ("frontend", conventions.PORTS_BY_KEY["shop-frontend"].default),
    "loadgen": ("loadgen", None),
}


@pytest.mark.parametrize("name", sorted(SHOP))
def test_shop_service_is_wired_to_the_collector(rendering: Rendering, name: str) -> None:
    module, port = SHOP[name]
    deployment = rendering.find("Deployment", name, "default")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", f"kansoku.services.{module}"]
    image = container["image"].split(":")[0]
    assert image.endswith(f"kansoku/{name}")
    env = _env(container)
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability.svc:4317"
    assert env["OTEL_SERVICE_NAME"] == name
    assert env[conventions.ENV_BIND_ADDRESS] == "0.0.0.0"
    if port is not None:
        key = conventions.PORTS_BY_KEY[name].env
        assert env[key] == str(port)
        assert container["readinessProbe"]["httpGet"]["path"] == conventions.HEALTH_PATH
        service = rendering.find("Service", name, "default")
        assert [p["port"] for p in service["spec"]["ports"]] == [port]
    backend_url = f"http://shop-backend:{SHOP['shop-backend'][1]}"
    frontend_url = f"http://shop-frontend:{SHOP['shop-frontend'][1]}"
    if name == "shop-frontend":
        assert env[conventions.ENV_SHOP_BACKEND_URL] == backend_url
    if name == "loadgen":
        assert env[conventions.ENV_SHOP_FRONTEND_URL] == frontend_url


def test_namespaces_have_quotas_and_limit_ranges(rendering: Rendering) -> None:
    for kind in ("ResourceQuota", "LimitRange"):
        namespaces = {o["metadata"]["namespace"] for o in rendering.of_kind(kind)}
        assert namespaces == {"observability", "default"}, kind


def test_quota_fits_the_collector_at_its_hpa_maximum(rendering: Rendering) -> None:
    quota = rendering.find("ResourceQuota", "observability-quota")["spec"]["hard"]
    collector = rendering.find("Deployment", "otel-collector")["spec"]["template"]["spec"]
    limits = collector["containers"][0]["resources"]["limits"]
    assert 10 * _mebibytes(limits["memory"]) < _mebibytes(quota["limits.memory"])
