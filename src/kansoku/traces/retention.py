"""Retention of Jaeger's daily indices on OpenSearch: Jaeger's own ``es-index-cleaner``.

Jaeger writes a span into the index of its start day (``kansoku-jaeger-span-2026-12-06``),
so expiring spans is deleting whole old indices, which ``es-index-cleaner DAYS URL`` does: it
removes every Jaeger index of a day before ``DAYS`` days ago (counted from tomorrow 00:00
UTC, so with 7 the indices of the last 7 days stay). Locally ``kansoku up`` runs it now and
then every hour (``python -m kansoku.traces.retention``); in Kubernetes a CronJob runs the
same command (deploy/kubernetes/components/opensearch).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kansoku import conventions as cv
from kansoku.errors import StackError

DEFAULT_DAYS = 7
DEFAULT_EVERY_SECONDS = 3600.0


def jaeger_indices(url: str) -> list[str]:
    """The names of Jaeger's indices in the cluster at ``url``, sorted."""
    resp = httpx.get(
        f"{url}/_cat/indices/{cv.JAEGER_INDEX_PREFIX}-jaeger-*",
        params={"h": "index", "format": "json"},
        timeout=10.0,
    )
    resp.raise_for_status()
    return sorted(row["index"] for row in resp.json())


def cleaner_argv(cleaner: Path, url: str, days: int) -> list[str]:
    return [str(cleaner), "--index-prefix", cv.JAEGER_INDEX_PREFIX, str(days), url]


def clean(cleaner: Path, url: str, days: int) -> list[str]:
    """Run the cleaner once; the indices it removed. A failed run is a StackError."""
    if days < 1:
        raise StackError(f"a retention of {days} days would delete today's spans; use 1 or more")
    before = set(jaeger_indices(url))
    proc = subprocess.run(
        cleaner_argv(cleaner, url, days), capture_output=True, text=True, timeout=300, check=False
    )
    if proc.returncode != 0:
        raise StackError(
            f"es-index-cleaner exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}"
        )
    return sorted(before - set(jaeger_indices(url)))


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run es-index-cleaner on a schedule.")
    parser.add_argument("--cleaner", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--every", type=float, default=DEFAULT_EVERY_SECONDS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Clean now, then every ``--every`` seconds; a failed run is reported, the next retried."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    while True:
        try:
            removed = clean(args.cleaner, args.url, args.days)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
            print(f"{stamp} retention {args.days}d: removed {removed or 'nothing'}", flush=True)
        except (StackError, httpx.HTTPError, OSError) as exc:
            print(f"retention run failed (retried in {args.every:.0f}s): {exc}", flush=True)
        time.sleep(args.every)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
