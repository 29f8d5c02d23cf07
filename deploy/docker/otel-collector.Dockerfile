# syntax=docker/dockerfile:1.7
# otel-collector: kansoku's own collector distribution (tools/otelcol-builder.yaml, including the
# series_limit and log_limit processors of collector/), built by the same recipe as
# `kansoku tools install` on a developer machine, so the image and local mode run one binary.
# Build from the repository root:
#   docker build -f deploy/docker/otel-collector.Dockerfile -t kansoku/otel-collector:0.160.0 .
# The runtime stage is distroless: the static binary only, as an unprivileged numeric user.
ARG GO_VERSION=1.26
ARG UV_VERSION=0.13.8

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

FROM golang:${GO_VERSION}-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
# CGO off: a static binary for the distroless stage. The build cache lives in a cache mount.
ENV CGO_ENABLED=0 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_INSTALL_DIR=/opt/python \
    KANSOKU_CACHE_DIR=/opt/kansoku
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
COPY tools ./tools
COPY collector ./collector
RUN --mount=type=cache,target=/root/.cache \
    --mount=type=cache,target=/go/pkg/mod \
    uv run --locked --no-dev kansoku tools install otelcol-kansoku \
 && cp /opt/kansoku/tools/otelcol-*/otelcol-kansoku /otelcol

FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /otelcol /otelcol
USER 65532:65532
# 4317/4318 OTLP, 8888 own metrics, 13133 health.
EXPOSE 4317 4318 8888 13133
ENTRYPOINT ["/otelcol"]
