# kansoku — the two commands are `make up` and `make test`; both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --locked --all-extras
PYTEST_ARGS ?=
BUSY_CPU ?= 2

.PHONY: help install browser node-packages tools tools-stack up test test-unit test-go test-e2e test-cluster test-realnode test-faults test-busy bench lint format clean

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install:  ## Python environment from uv.lock (installs uv itself when missing)
	@command -v uv >/dev/null 2>&1 || python3 -c "import uv" 2>/dev/null || \
		python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --locked --all-extras --compile-bytecode
	@# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set, every Python start
	@# would otherwise compile every module it imports (about 60% of a shop service's start-up).
	$(RUN) python -m compileall -q src

browser:  ## Debian's chromium for the browser tests (apt-get, only when missing; needs root then)
	bash scripts/install-browser.sh

node-packages:  ## Debian's runc, CNI plugins, iptables, ipset, conntrack for the real-node cluster (apt-get, only when missing)
	bash scripts/install-node-packages.sh

.PHONY: debootstrap
debootstrap:  ## Debian's debootstrap, for the Python images' base (apt-get, only when missing)
	bash scripts/install-debootstrap.sh

tools: install  ## build the pinned upstream binaries (cached per version)
	$(RUN) kansoku tools install

tools-stack: install  ## build only what 'kansoku up' runs (no test-only tools)
	$(RUN) kansoku tools install --stack

up: tools-stack  ## run the whole stack locally with the shop services and load (Ctrl-C stops it)
	$(RUN) kansoku up

.PHONY: system-packages
system-packages:  ## the Debian packages the tests need (browser, node-packages, debootstrap), one apt-get at a time
	$(MAKE) --no-print-directory -j1 browser node-packages debootstrap  # apt-get holds one lock

# The Debian packages (apt-get: mostly download) install beside the Go builds of the stack's
# tools (CPU), their lines interleaved as they come (make's --output-sync would hold back the
# builds' progress until each build ended). The control plane is not built first: the cluster
# tests run last and pytest builds it beside the other tests at the lowest priority
# (tests/conftest.py), which matters on a cold cache. The real-node tests run in a session of their own beside all the others
# (scripts/pytest-beside.sh; their log: test-artifacts/realnode.log).
test: install  ## lint, Go tests, then unit, end-to-end, cluster and real-node tests against the real binaries
	$(MAKE) --no-print-directory -j2 tools-stack system-packages
	$(MAKE) --no-print-directory lint test-go
	$(RUN) kansoku tools install kustomize opensearch
	bash scripts/pytest-beside.sh $(RUN) -- $(PYTEST_ARGS)

test-unit: install  ## unit tests only
	$(RUN) pytest -m "not e2e and not cluster and not realnode" $(PYTEST_ARGS)

test-go:  ## Go tests of the collector components kept in collector/ (series_limit, log_limit)
	@set -e; for dir in collector/*/; do echo "go test ./... in $$dir"; (cd "$$dir" && go test ./...); done

test-e2e: tools browser  ## end-to-end tests only
	$(RUN) pytest -m e2e $(PYTEST_ARGS)

test-cluster: tools  ## the manifests against a real control plane with simulated nodes
	$(RUN) pytest -m cluster tests/cluster $(PYTEST_ARGS)

test-realnode: tools node-packages  ## one node with real containers in its own network namespace (root)
	$(RUN) pytest -m realnode tests/realnode $(PYTEST_ARGS)

test-faults: tools  ## fault tests with the full 60 s outages (make test uses 20 s)
	KANSOKU_FAULT_OUTAGE_SECONDS=60 $(RUN) pytest -m e2e tests/e2e/test_faults.py \
		tests/e2e/test_opensearch.py::test_no_span_is_lost_while_opensearch_is_down $(PYTEST_ARGS)

test-busy: tools  ## the tests (or PYTEST_ARGS) beside BUSY_CPU=2 busy CPU loops and a dd oflag=dsync writer
	$(RUN) python -m kansoku.bench.busy --cpu $(BUSY_CPU) -- pytest $(PYTEST_ARGS)

bench: tools  ## every benchmark scenario; figures go to bench.json (see docs/performance.md)
	$(RUN) kansoku bench all --output bench.json

lint: install  ## ruff and mypy (strict)
	$(RUN) ruff check src tests
	$(RUN) ruff format --check src tests
	$(RUN) mypy

format: install  ## apply ruff's formatting and safe fixes
	$(RUN) ruff format src tests
	$(RUN) ruff check --fix src tests

clean:  ## remove the virtualenv and caches in the repository (not the tool cache)
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
