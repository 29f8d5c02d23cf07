"""The foundation, end to end: configuration validity, up/down/status, verify, persistence."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from e2e_stack import down, kansoku, up_detached

from kansoku import conventions as cv
from kansoku import locations
from kansoku.stack import state as st
from kansoku.stack.ports import free_ports
from kansoku.tools import lookup
from kansoku.verify import checks, probes
from kansoku.verify.command import local_targets
from kansoku.verify.poll import poll_until

pytestmark = pytest.mark.e2e


def _collector_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        cv.ENV_COLLECTOR_STORAGE_DIR: str(tmp_path),
    }


@pytest.mark.parametrize(
    "overlays", [(), ("collector-debug.yaml",), ("collector-kubernetes.yaml",)]
)
def test_collector_config_validates(tmp_path: Path, overlays: tuple[str, ...]) -> None:
    binary = lookup.resolve("otelcol-kansoku").path
    source = locations.config_dir() / "collector"
    argv = [str(binary), "validate", "--config", str(source / "collector.yaml")]
    for overlay in overlays:
        argv += ["--config", str(source / overlay)]
    proc = subprocess.run(
        argv, capture_output=True, text=True, env=_collector_env(tmp_path), timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_agent_config_validates_and_its_cluster_layer_needs_the_contrib_image() -> None:
    """Our distribution runs the node agent's own config (kubeletstats); with the cluster layer
    it refuses the two components only the official contrib image has (docs/kubernetes.md)."""
    source = locations.project_root() / "deploy" / "kubernetes" / "base" / "config"
    argv = [str(lookup.resolve("otelcol-kansoku").path), "validate"]
    env = {**os.environ, "K8S_NODE_IP": "10.0.0.1", "K8S_NAMESPACE": "observability"}
    # validate builds the receiver, which reads the ServiceAccount's CA: a file only in a pod.
    no_token = "yaml:receivers::kubelet_stats::auth_type: none"
    alone = [*argv, "--config", str(source / "otel-agent.yaml"), "--config", no_token]
    proc = subprocess.run(alone, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    layered = [*alone, "--config", str(source / "otel-agent-cluster.yaml")]
    proc = subprocess.run(layered, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode != 0
    refused = proc.stdout + proc.stderr
    assert "k8s_cluster" in refused or "k8s_leader_elector" in refused, refused


@pytest.mark.parametrize("overlays", [(), ("jaeger-badger.yaml",)])
def test_jaeger_config_validates(overlays: tuple[str, ...]) -> None:
    source = locations.config_dir() / "jaeger"
    argv = [str(lookup.resolve("jaeger").path), "validate", "--config", str(source / "jaeger.yaml")]
    for overlay in overlays:
        argv += ["--config", str(source / overlay)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_collector_validate_rejects_a_broken_config(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = (locations.config_dir() / "collector" / "collector.yaml").read_text()
    broken.write_text(text.replace("check_interval: 1s", "check_interval: sometimes"))
    proc = subprocess.run(
        [str(lookup.resolve("otelcol-kansoku").path), "validate", "--config", str(broken)],
        capture_output=True,
        text=True,
        env=_collector_env(tmp_path),
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "memory_limiter" in proc.stdout + proc.stderr


def test_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    source = locations.config_dir() / "prometheus"
    (tmp_path / "prometheus.yaml").write_text((source / "prometheus.yaml").read_text())
    (tmp_path / "targets").mkdir()
    for job in (cv.JOB_PROMETHEUS, cv.JOB_COLLECTOR, cv.JOB_JAEGER, cv.JOB_ALERTMANAGER):
        (tmp_path / "targets" / f"{job}.json").write_text(
            json.dumps([{"targets": ["127.0.0.1:1"]}])
        )
    proc = subprocess.run(
        [
            str(lookup.resolve("promtool").path),
            "check",
            "config",
            str(tmp_path / "prometheus.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout + proc.stderr


def test_verify_command_passes_on_the_local_stack(core_stack: st.StackState) -> None:
    proc = kansoku("verify", "--data-dir", core_stack.data_dir, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in (
        "prometheus ready",
        "jaeger query answers",
        "collector healthy",
        "trace in Jaeger",
        "metric in Prometheus",
        "victorialogs healthy",
        "log in VictoriaLogs by trace id",
        "collector counters",
    ):
        assert name in proc.stdout
    assert "FAIL" not in proc.stdout


def test_every_check_of_verify_holds(core_stack: st.StackState) -> None:
    results = checks.run_all(local_targets(Path(core_stack.data_dir)), timeout=90)
    failed = [f"{r.name}: {r.detail}" for r in results if not r.ok]
    assert not failed
    assert not [r for r in results if r.skipped]


def test_prometheus_scrapes_itself_the_collector_and_jaeger(core_stack: st.StackState) -> None:
    def all_up() -> dict[str, str] | None:
        result = checks.prometheus_query(core_stack.url("prometheus"), "up")
        jobs = {r["metric"]["job"]: r["value"][1] for r in result}
        wanted = {cv.JOB_PROMETHEUS, cv.JOB_COLLECTOR, cv.JOB_JAEGER, cv.JOB_ALERTMANAGER}
        return jobs if wanted <= set(jobs) and all(jobs[j] == "1" for j in wanted) else None

    jobs = poll_until(
        all_up, what="up == 1 for prometheus, collector, jaeger, alertmanager", timeout=60
    )
    assert jobs[cv.JOB_COLLECTOR] == "1"


def test_collector_self_metrics_arrive_through_remote_write(core_stack: st.StackState) -> None:
    """The collector's prometheus receiver scrapes its own 8888 into the metrics pipeline.

    Its resource takes service.name from the endpoint's target_info, so the series carry
    job="otel-collector" like Prometheus' direct scrape; remote write's translation tells
    them apart by the _total suffix that the direct scrape does not add.
    """
    query = f'otelcol_process_uptime_total{{job="{cv.JOB_COLLECTOR}"}}'
    result = poll_until(
        lambda: checks.prometheus_query(core_stack.url("prometheus"), query) or None,
        what=query,
        timeout=60,
    )
    assert float(result[0]["value"][1]) > 0
    direct = checks.prometheus_query(
        core_stack.url("prometheus"), f'otelcol_process_uptime{{job="{cv.JOB_COLLECTOR}"}}'
    )
    assert direct, "Prometheus' own scrape of the collector is missing"


def test_host_metrics_arrive(core_stack: st.StackState) -> None:
    query = "system_memory_usage_bytes"
    result = poll_until(
        lambda: checks.prometheus_query(core_stack.url("prometheus"), query) or None,
        what=query,
        timeout=60,
    )
    assert {r["metric"].get("state") for r in result} >= {"used"}


def test_status_reports_every_component_ready(core_stack: st.StackState) -> None:
    proc = kansoku("status", "--data-dir", core_stack.data_dir, "--json", timeout=30)
    assert proc.returncode == 0, proc.stderr
    state = json.loads(proc.stdout)
    statuses = {n: c["status"] for n, c in state["components"].items()}
    # Named, not counted, so a new component does not break this: the core ones, all ready.
    core = {cv.CONSOLE, cv.PROMETHEUS, cv.JAEGER, cv.VICTORIALOGS, cv.COLLECTOR}
    assert core | {cv.ALERT_RECEIVER, cv.ALERTMANAGER} <= set(statuses)
    assert statuses == dict.fromkeys(statuses, "ready")


def test_taken_port_fails_at_once_and_starts_nothing(tmp_path: Path) -> None:
    ports = free_ports()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ports["otlp-http"]))
        holder.listen()
        flags = [f"--port={k}={v}" for k, v in ports.items()]
        proc = kansoku("up", "--no-services", "--data-dir", str(tmp_path / "d"), *flags, timeout=60)
    assert proc.returncode == 4
    assert (
        f"port {ports['otlp-http']} (otlp-http) for otel-collector is already in use" in proc.stderr
    )
    assert not st.state_file(tmp_path / "d").exists(), "nothing may have started"
    for key, port in ports.items():
        if key != "otlp-http":
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port))  # still free: nothing listens


def _wait_ready(data_dir: Path, timeout: float = 300) -> st.StackState:
    def ready() -> st.StackState | None:
        current = st.read(data_dir)  # raises (= not yet) until the state file exists
        if current.status == "failed":
            raise AssertionError(f"stack failed: {current}")
        return current if current.status == "ready" else None

    return poll_until(ready, what=f"stack under {data_dir} ready", timeout=timeout)


def test_foreground_stack_reports_a_dead_component_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "fg"
    flags = [f"--port={k}={v}" for k, v in free_ports().items()]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kansoku",
            "up",
            "--no-services",
            "--data-dir",
            str(data_dir),
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        state = _wait_ready(data_dir)
        pids = {n: c.pid for n, c in state.components.items()}
        assert all(st.pid_alive(p) for p in pids.values())
        os.kill(pids[cv.JAEGER] or 0, signal.SIGKILL)
        poll_until(
            lambda: st.read(data_dir).components[cv.JAEGER].status == "exited" or None,
            what="jaeger reported as exited",
            timeout=30,
        )
        status = kansoku("status", "--data-dir", str(data_dir), timeout=30)
        assert status.returncode == 4
        assert "exited" in status.stdout
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "jaeger exited with code -9" in err
    assert "stack stopped" in err
    assert not [n for n, p in pids.items() if st.pid_alive(p)], "processes left behind"
    assert "component" in out  # the table of what runs where was printed


def test_data_survives_a_restart_and_fresh_wipes_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "persist"
    ports = free_ports()
    state = up_detached(data_dir, "--no-services", ports=ports)
    probe = probes.send(state.url("otlp-grpc").removeprefix("http://"))
    query = f'{probes.PROBE_METRIC_PROMETHEUS}{{{probes.PROBE_LABEL}="{probe.verify_id}"}}'
    poll_until(
        lambda: checks.prometheus_query(state.url("prometheus"), query) or None,
        what=query,
        timeout=60,
    )
    down(data_dir)
    state = up_detached(data_dir, "--no-services", ports=ports)
    lookback = f"last_over_time({query}[1h])"
    assert checks.prometheus_query(state.url("prometheus"), lookback), "sample lost on restart"
    down(data_dir)
    state = up_detached(data_dir, "--no-services", "--fresh", ports=ports)
    assert checks.prometheus_query(state.url("prometheus"), lookback) == []
    down(data_dir)


def test_up_refuses_a_second_stack_on_the_same_data_dir(core_stack: st.StackState) -> None:
    proc = kansoku("up", "--no-services", "--data-dir", core_stack.data_dir, timeout=60)
    assert proc.returncode == 4
    assert "already running" in proc.stderr


def test_down_without_a_stack_says_so(tmp_path: Path) -> None:
    proc = kansoku("down", "--data-dir", str(tmp_path), timeout=30)
    assert proc.returncode == 4
    assert "no stack has run" in proc.stderr


def test_readiness_endpoints_answer(core_stack: st.StackState) -> None:
    for url in (
        core_stack.url("prometheus") + "/-/ready",
        core_stack.url("collector-health") + "/",
        core_stack.url("jaeger-query") + "/api/services",
        core_stack.url("victorialogs") + cv.VICTORIALOGS_HEALTH_PATH,
        core_stack.url("alertmanager") + "/-/ready",
        core_stack.url("alert-receiver") + cv.HEALTH_PATH,
    ):
        assert httpx.get(url, timeout=5).status_code == 200, url


def test_verify_checks_the_shop_services_too(stack: st.StackState) -> None:
    proc = kansoku("verify", "--data-dir", stack.data_dir, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "shop page view traced frontend -> backend" in proc.stdout
    for metric in cv.METRICS:
        assert f"{metric.service} {metric.otel_name} in Prometheus" in proc.stdout
    assert "FAIL" not in proc.stdout
