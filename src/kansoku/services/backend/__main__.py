"""Entry point: ``python -m kansoku.services.backend``, configured only by environment."""

from __future__ import annotations

import os

from kansoku import conventions
from kansoku.services import faults, server, telemetry
from kansoku.services.backend.app import create_app
from kansoku.services.backend.db import database_url, make_engine
from kansoku.services.settings import ServiceSettings


def main() -> None:
    settings = ServiceSettings.from_env(conventions.SHOP_BACKEND)
    telemetry.configure_stderr_logging()
    tel = telemetry.setup(conventions.SHOP_BACKEND)
    engine = make_engine(database_url(os.environ, settings.data_dir))
    app = create_app(
        engine,
        tel,
        fault_table=faults.FaultTable.from_env(os.environ),
        admin_token=settings.admin_token,
    )
    server.serve(app, settings, tel)
    engine.dispose()


if __name__ == "__main__":
    main()
