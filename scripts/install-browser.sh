#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/e2e/browser.py drives it with Playwright).
# Idempotent: does nothing when /usr/bin/chromium is there. Playwright's own browser download
# is never used: the tests launch this binary by path.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [[ -x "$CHROMIUM" ]]; then
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "error: the browser tests need Debian's chromium ($CHROMIUM is missing);" \
        "install it as root: apt-get install -y chromium" >&2
    exit 1
fi
echo "installing Debian's chromium for the browser tests" >&2
# The lists of a fresh machine may be empty or stale (a 404 on install), so refresh them; this
# runs only when the browser is missing, so an installed machine never touches the network.
apt-get update -q
# No recommends (upower, udev, a notification daemon: nothing headless uses); fonts-liberation
# is the one recommend a page needs, for metric-compatible Arial/Times in the screenshots.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-liberation
"$CHROMIUM" --version >&2
