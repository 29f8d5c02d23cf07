"""What simulated visitors do on the shop: browse, and sometimes buy.

Every request says ``User-Agent: kansoku-loadgen/1`` and is named by its route template in
the statistics. Ids come from the pages themselves (``data-product-id``), as a visitor
following links would find them.
"""

from __future__ import annotations

import random
import re
from typing import Any

from locust import HttpUser, between, task

from kansoku import conventions
from kansoku.services.loadgen.settings import LoadgenSettings

_PRODUCT_ID = re.compile(r'data-product-id="(\d+)"')
_FALLBACK_IDS = list(range(1, 13))  # the seed catalogue, used if the list page failed


class ShopVisitor(HttpUser):
    """One visitor; ``configure`` sets the host and pacing before the run starts."""

    abstract = False
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.client.headers["User-Agent"] = conventions.LOADGEN_USER_AGENT
        self.product_ids: list[int] = []

    @task(3)
    def browse(self) -> None:
        self._product_list()
        for _ in range(random.randint(1, 3)):  # noqa: S311 - simulation, not crypto
            self._think()
            self._product_page()

    @task(1)
    def buy(self) -> None:
        self._product_list()
        self._think()
        product_id = self._product_page()
        self._think()
        self._post("/cart/items", {"product_id": product_id, "quantity": random.randint(1, 3)})  # noqa: S311
        self._think()
        self.client.get("/checkout", name="/checkout")
        self._think()
        self._post("/checkout", {"email": f"visitor{random.randint(1, 999)}@example.com"})  # noqa: S311

    def _think(self) -> None:
        # User.wait is unannotated upstream; it sleeps per wait_time and lets a stop interrupt.
        self.wait()  # type: ignore[no-untyped-call]

    def _product_list(self) -> None:
        with self.client.get("/", name="/", catch_response=True) as response:
            found = [int(i) for i in _PRODUCT_ID.findall(response.text or "")]
            if found:
                self.product_ids = found

    def _product_page(self) -> int:
        product_id = random.choice(self.product_ids or _FALLBACK_IDS)  # noqa: S311
        self.client.get(f"/products/{product_id}", name="/products/{product_id}")
        return product_id

    def _post(self, path: str, form: dict[str, Any]) -> None:
        self.client.post(path, data=form, name=path)


def configure(settings: LoadgenSettings) -> type[ShopVisitor]:
    """The visitor class paced as ``settings`` say, aimed at the frontend."""
    ShopVisitor.host = settings.frontend_url
    ShopVisitor.wait_time = between(*settings.wait_bounds())
    return ShopVisitor
