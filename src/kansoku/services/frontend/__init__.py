"""shop-frontend: server-rendered shop pages (``-m kansoku.services.frontend``)."""
