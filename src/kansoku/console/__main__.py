"""``python -m kansoku.console``: serve the console until SIGTERM/SIGINT (a stack component)."""

from __future__ import annotations

import sys

import uvicorn

from kansoku.console import assets, server
from kansoku.errors import KansokuError


def main() -> int:
    try:
        settings = server.settings_from_env(assets.resolve())
    except KansokuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app = server.create_app(settings)
    # Bound to the stack's bind address only; uvicorn turns SIGTERM into a graceful stop.
    uvicorn.run(
        app,
        host=settings.bind_address,
        port=settings.port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
