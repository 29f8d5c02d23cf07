"""The shop services: shop-backend (JSON API), shop-frontend (web pages), the load generator.

Each runs as ``python -m kansoku.services.<name>`` and is configured only by environment
variables (see ``kansoku.conventions`` and docs/telemetry.md).
"""
