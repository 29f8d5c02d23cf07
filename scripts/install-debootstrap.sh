#!/usr/bin/env bash
# Debian's debootstrap, which makes the Python images' base (src/kansoku/images/python.py).
# Idempotent: does nothing when debootstrap is on PATH.
set -euo pipefail

if command -v debootstrap >/dev/null 2>&1; then
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "error: the Python images need Debian's debootstrap, which is missing;" \
        "install it as root: apt-get install -y debootstrap" >&2
    exit 1
fi
echo "installing Debian's debootstrap for the Python images" >&2
# The lists of a fresh machine may be empty or stale (a 404 on install), so refresh them; this
# runs only when debootstrap is missing, so an installed machine never touches the network.
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
debootstrap --version >&2
