"""Retention of Jaeger's daily indices on OpenSearch: whole days go once they are too old.

Jaeger writes a span into the index of its start day (``kansoku-jaeger-span-2026-12-06``), so
expiring spans is deleting whole old indices. kansoku deletes by the day in the index's name:
with ``days`` = 7 the indices of today and the six days before stay, older ones go (the same
cut as Jaeger's es-index-cleaner). Jaeger's es-index-cleaner and OpenSearch's ISM go by the
index's creation time instead, so an index made today for late or backfilled spans of ten days
ago would stay another week (docs/traces.md). Locally ``kansoku up`` runs this now and then
every hour (``python -m kansoku.traces.retention``); in Kubernetes a CronJob runs the same
module once an hour (deploy/kubernetes/components/opensearch).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from collections.abc import Iterable

import httpx

from kansoku import conventions as cv
from kansoku.errors import StackError

DEFAULT_DAYS = 7
DEFAULT_EVERY_SECONDS = 3600.0
# Jaeger's daily indices (spans, services, and the dependencies and sampling it may write).
_DAILY = re.compile(
    rf"^{re.escape(cv.JAEGER_INDEX_PREFIX)}-jaeger-(span|service|dependencies|sampling)-"
    r"(\d{4}-\d{2}-\d{2})$"
)


def jaeger_indices(url: str) -> list[str]:
    """The names of Jaeger's indices in the cluster at ``url``, sorted."""
    resp = httpx.get(
        f"{url}/_cat/indices/{cv.JAEGER_INDEX_PREFIX}-jaeger-*",
        params={"h": "index", "format": "json"},
        timeout=10.0,
    )
    resp.raise_for_status()
    return sorted(row["index"] for row in resp.json())


def expired(indices: Iterable[str], today: dt.date, days: int) -> list[str]:
    """The daily indices of a day before the last ``days`` days (today counts as one)."""
    if days < 1:
        raise StackError(f"a retention of {days} days would delete today's spans; use 1 or more")
    oldest_kept = today - dt.timedelta(days=days - 1)
    return sorted(
        name
        for name in indices
        if (match := _DAILY.match(name)) and dt.date.fromisoformat(match.group(2)) < oldest_kept
    )


def clean(url: str, days: int, today: dt.date | None = None) -> list[str]:
    """Delete the expired daily indices at ``url``; the names deleted."""
    today = today or dt.datetime.now(dt.UTC).date()
    old = expired(jaeger_indices(url), today, days)
    if old:
        resp = httpx.delete(f"{url}/{','.join(old)}", timeout=60.0)
        resp.raise_for_status()
    return old


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Delete Jaeger's daily indices past retention.")
    parser.add_argument("--url", required=True, help="OpenSearch, e.g. http://127.0.0.1:9200")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--every", type=float, default=DEFAULT_EVERY_SECONDS)
    parser.add_argument("--once", action="store_true", help="Clean once and exit (a CronJob).")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Clean now, then every ``--every`` seconds (or once); a failed run is reported."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    while True:
        try:
            removed = clean(args.url, args.days)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
            print(f"{stamp} retention {args.days}d: removed {removed or 'nothing'}", flush=True)
        except (StackError, httpx.HTTPError) as exc:
            print(f"retention run failed: {exc}", flush=True)
            if args.once:
                return 1
        if args.once:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
