"""The stack's Go programs as images: the upstream programs under their upstream names and
pinned releases, and our collector distribution.

Each upstream image copies what its official image declares (the Dockerfile named above it)
so that the Kubernetes manifests run it unchanged: entrypoint, user, working directory,
exposed ports, volumes and the default paths with their owners. The binaries are the pinned
ones from the tool cache (``kansoku tools install``); what differs from the official image is
said beside each declaration and in docs/kubernetes.md.
"""

from __future__ import annotations

from kansoku.images.archive import ImageConfig
from kansoku.images.filesystem import DEFAULT_PATH, NOBODY, NONROOT, Account, static_base
from kansoku.images.image import Image
from kansoku.images.layer import data_entry, dir_entry
from kansoku.images.libraries import SharedLibraries
from kansoku.images.sources import Files, ToolBinaries
from kansoku.tools.versions import Versions, load

PATH = DEFAULT_PATH
_OTELCOL = "otelcol-kansoku"  # the binary of our distribution (tools/versions.yaml `otelcol`)


def _layers(
    users: tuple[Account, ...], owned: Files | None, binaries: tuple[tuple[str, str], ...]
) -> tuple[Files | SharedLibraries | ToolBinaries, ...]:
    """Accounts and /tmp, the declared directories, the libraries, then the binaries (the
    layer that changes most comes last)."""
    first = (static_base(*users),) + ((owned,) if owned else ())
    names = tuple(name for name, _ in binaries)
    return (*first, SharedLibraries(names), ToolBinaries(binaries))


def prometheus(v: Versions) -> Image:
    # prometheus/prometheus Dockerfile (3.x): busybox base; /bin/prometheus and /bin/promtool;
    # /etc/prometheus/prometheus.yml; WORKDIR /prometheus; /etc/prometheus and /prometheus
    # owned by nobody; USER nobody; EXPOSE 9090; VOLUME /prometheus. Prometheus 3 ships no
    # console templates (and the manifests name none). The module build serves no web UI
    # (tools/versions.yaml); the HTTP API is complete.
    nobody = (NOBODY[1], NOBODY[2])
    config = b"# The image's default; the manifests mount their own.\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: [localhost:9090]\n"  # noqa: E501
    owned = Files(
        "/etc/prometheus and /prometheus owned by nobody",
        (
            dir_entry("etc/prometheus", 0o755, *nobody),
            data_entry("etc/prometheus/prometheus.yml", config, 0o644, *nobody),
            dir_entry("prometheus", 0o775, *nobody),
        ),
    )
    return Image(
        name=f"prom/prometheus:v{v.tools['prometheus'].release}",
        summary="Prometheus (pinned module build, service discovery: kubernetes, file, http)",
        layers=_layers(
            (NOBODY,), owned, (("prometheus", "bin/prometheus"), ("promtool", "bin/promtool"))
        ),
        config=ImageConfig(
            entrypoint=("/bin/prometheus",),
            cmd=("--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"),
            user="nobody",
            workdir="/prometheus",
            env=(PATH,),
            ports=("9090/tcp",),
            volumes=("/prometheus",),
        ),
    )


def jaeger(v: Versions) -> Image:
    # jaegertracing/jaeger cmd/jaeger/Dockerfile: /cmd/jaeger/jaeger-linux; USER 10001;
    # ENV JAEGER_LISTEN_HOST=0.0.0.0; VOLUME /tmp; the ports below. Its
    # /cmd/jaeger/sampling-strategies.json is not copied: no kansoku config reads it.
    ports = (5778, 5779, 4317, 4318, 14268, 14250, 9411, 16686, 13132, 13133)
    return Image(
        name=f"jaegertracing/jaeger:{v.tools['jaeger'].release}",
        summary="Jaeger v2 (pinned module build; query API, no bundled UI assets)",
        layers=_layers((), None, (("jaeger", "cmd/jaeger/jaeger-linux"),)),
        config=ImageConfig(
            entrypoint=("/cmd/jaeger/jaeger-linux",),
            user="10001",
            env=(PATH, ("JAEGER_LISTEN_HOST", "0.0.0.0")),  # noqa: S104
            ports=tuple(f"{p}/tcp" for p in ports),
            volumes=("/tmp",),  # noqa: S108
        ),
    )


def victorialogs(v: Versions) -> Image:
    # VictoriaLogs app/victoria-logs/multiarch/Dockerfile: an alpine root image,
    # ENTRYPOINT ["/victoria-logs-prod"], EXPOSE 9428; no USER (root) and no WORKDIR (/).
    # The manifests run it as 65534 with -storageDataPath on a volume.
    return Image(
        name=f"victoriametrics/victoria-logs:v{v.tools['victorialogs'].release}",
        summary="VictoriaLogs (pinned module build, web UI embedded)",
        layers=_layers((NOBODY,), None, (("victoria-logs", "victoria-logs-prod"),)),
        config=ImageConfig(entrypoint=("/victoria-logs-prod",), env=(PATH,), ports=("9428/tcp",)),
    )


def alertmanager(v: Versions) -> Image:
    # prometheus/alertmanager Dockerfile: distroless libc base; /bin/alertmanager and
    # /bin/amtool; /etc/alertmanager and /alertmanager owned by nobody; USER nobody;
    # EXPOSE 9093; VOLUME /alertmanager; WORKDIR /alertmanager; the CMD below.
    nobody = (NOBODY[1], NOBODY[2])
    owned = Files(
        "/etc/alertmanager and /alertmanager owned by nobody",
        (dir_entry("etc/alertmanager", 0o755, *nobody), dir_entry("alertmanager", 0o755, *nobody)),
    )
    return Image(
        name=f"prom/alertmanager:v{v.tools['alertmanager'].release}",
        summary="Alertmanager (pinned module build, web UI included)",
        layers=_layers(
            (NOBODY,), owned, (("alertmanager", "bin/alertmanager"), ("amtool", "bin/amtool"))
        ),
        config=ImageConfig(
            entrypoint=("/bin/alertmanager",),
            cmd=(
                "--config.file=/etc/alertmanager/alertmanager.yml",
                "--storage.path=/alertmanager",
            ),
            user="nobody",
            workdir="/alertmanager",
            env=(PATH,),
            ports=("9093/tcp",),
            volumes=("/alertmanager",),
        ),
    )


def otel_contrib(v: Versions) -> Image:
    # opentelemetry-collector-releases distributions/otelcol-contrib/Dockerfile: FROM scratch;
    # USER 10001:10001; /otelcol-contrib; CMD --config /etc/otelcol-contrib/config.yaml;
    # EXPOSE 4317 4318 55679. Built from OUR distribution: it runs the agent DaemonSet's own
    # config (kubeletstats) but lacks the k8s_cluster receiver and k8s_leader_elector extension
    # of its cluster layer, which the real contrib image has (docs/kubernetes.md, Images).
    return Image(
        name=f"otel/opentelemetry-collector-contrib:{v.otelcol['release']}",
        summary="the agent DaemonSet's collector: OUR distribution under the contrib name",
        layers=_layers((), None, ((_OTELCOL, "otelcol-contrib"),)),
        config=ImageConfig(
            entrypoint=("/otelcol-contrib",),
            cmd=("--config", "/etc/otelcol-contrib/config.yaml"),
            user="10001:10001",
            env=(PATH,),
            ports=("4317/tcp", "4318/tcp", "55679/tcp"),
        ),
    )


def otel_collector() -> Image:
    # deploy/docker/otel-collector.Dockerfile (a test checks that they agree): distroless
    # static nonroot; /otelcol; USER 65532:65532; EXPOSE 4317 4318 8888 13133.
    return Image(
        name="kansoku/otel-collector:dev",
        summary="kansoku's collector distribution (series_limit, log_limit included)",
        layers=_layers((NONROOT,), None, ((_OTELCOL, "otelcol"),)),
        config=ImageConfig(
            entrypoint=("/otelcol",),
            user="65532:65532",
            env=(PATH,),
            ports=("4317/tcp", "4318/tcp", "8888/tcp", "13133/tcp"),
        ),
    )


def images() -> list[Image]:
    v = load()
    return [
        otel_collector(),
        otel_contrib(v),
        prometheus(v),
        jaeger(v),
        victorialogs(v),
        alertmanager(v),
    ]
