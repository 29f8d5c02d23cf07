"""Entry point: ``python -m kansoku.services.frontend``, configured only by environment."""

from __future__ import annotations

import os

from kansoku import conventions
from kansoku.services import faults, server, telemetry
from kansoku.services.frontend.app import create_app
from kansoku.services.settings import ServiceSettings, url_from_env


def main() -> None:
    settings = ServiceSettings.from_env(conventions.SHOP_FRONTEND)
    backend_port = conventions.PORTS_BY_KEY[conventions.SHOP_BACKEND]
    backend_default = f"http://127.0.0.1:{os.environ.get(backend_port.env) or backend_port.default}"
    backend_url = url_from_env(os.environ, conventions.ENV_SHOP_BACKEND_URL, backend_default)
    telemetry.configure_stderr_logging()
    tel = telemetry.setup(conventions.SHOP_FRONTEND)
    app = create_app(
        backend_url,
        tel,
        fault_table=faults.FaultTable.from_env(os.environ),
        admin_token=settings.admin_token,
    )
    server.serve(app, settings, tel)


if __name__ == "__main__":
    main()
