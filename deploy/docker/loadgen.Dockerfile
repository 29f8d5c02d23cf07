# syntax=docker/dockerfile:1.7
# loadgen: Locust, headless, simulated visitors on shop-frontend (no telemetry of its own).
# Build from the repository root:  docker build -f deploy/docker/loadgen.Dockerfile -t loadgen .
# Dependencies come from uv.lock (--locked fails the build when the lock is stale); the runtime
# stage is a slim Python with the virtualenv only, run as an unprivileged numeric user so the
# Pod Security "restricted" profile (runAsNonRoot) admits it.
ARG PYTHON_VERSION=3.11
ARG UV_VERSION=0.13.8

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_CACHE_DIR=/opt/uv-cache
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/opt/uv-cache \
    uv sync --locked --no-dev --extra postgres --no-install-project
COPY README.md ./
COPY src ./src
RUN --mount=type=cache,target=/opt/uv-cache \
    uv sync --locked --no-dev --extra postgres --no-editable

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 kansoku \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin kansoku
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
ENTRYPOINT ["python", "-m", "kansoku.services.loadgen"]
