"""shop-backend: the shop's JSON API over a SQL database (``-m kansoku.services.backend``)."""
