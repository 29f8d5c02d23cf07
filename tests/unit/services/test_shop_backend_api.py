"""shop-backend's API: the happy paths, and every kind of bad request ending in a 4xx."""

from __future__ import annotations

from pathlib import Path

import pytest
from shop_support import TestClient

from kansoku.services.backend import db
from kansoku.services.backend.schemas import MAX_QUANTITY


def new_cart(backend: TestClient, *items: tuple[int, int]) -> str:
    cart_id = backend.post("/api/carts").json()["id"]
    for product_id, quantity in items:
        response = backend.post(
            f"/api/carts/{cart_id}/items", json={"product_id": product_id, "quantity": quantity}
        )
        assert response.status_code == 200, response.text
    return str(cart_id)


def test_products_list_returns_the_seeded_catalogue(backend: TestClient) -> None:
    body = backend.get("/api/products", params={"limit": 100}).json()
    assert body["total"] == len(db.CATALOGUE)
    assert [p["sku"] for p in body["items"]] == [sku for sku, *_ in db.CATALOGUE]


def test_products_list_pages_with_limit_and_offset(backend: TestClient) -> None:
    body = backend.get("/api/products", params={"limit": 2, "offset": 3}).json()
    assert [p["id"] for p in body["items"]] == [4, 5]


def test_product_detail_answers_404_naming_the_field_for_an_unknown_id(
    backend: TestClient,
) -> None:
    response = backend.get("/api/products/999")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("product_id:")


@pytest.mark.parametrize("bad_id", ["0", "-1", str(2**31), str(2**70), "abc", "1.5"])
def test_product_detail_rejects_an_impossible_id_with_422(backend: TestClient, bad_id: str) -> None:
    response = backend.get(f"/api/products/{bad_id}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "product_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product_id": 1, "quantity": 0}, "quantity"),
        ({"product_id": 1, "quantity": MAX_QUANTITY + 1}, "quantity"),
        ({"product_id": 1, "quantity": "many"}, "quantity"),
        ({"quantity": 1}, "product_id"),
        ({"product_id": 2**40}, "product_id"),
    ],
)
def test_add_item_rejects_bad_input_naming_the_field(
    backend: TestClient, body: dict[str, object], field: str
) -> None:
    cart_id = new_cart(backend)
    response = backend.post(f"/api/carts/{cart_id}/items", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:")
    assert backend.get(f"/api/carts/{cart_id}").json()["items"] == []  # nothing was written


def test_a_body_that_is_not_json_is_a_4xx(backend: TestClient) -> None:
    cart_id = new_cart(backend)
    response = backend.post(
        f"/api/carts/{cart_id}/items",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code in (400, 422)


def test_unknown_and_malformed_cart_ids_are_404_and_422(backend: TestClient) -> None:
    assert backend.get(f"/api/carts/{'0' * 32}").status_code == 404
    assert backend.get("/api/carts/../../etc").status_code == 404  # no such route
    assert backend.get("/api/carts/not-a-cart-id").status_code == 422


def test_adding_an_unknown_product_is_404_and_leaves_the_cart_alone(backend: TestClient) -> None:
    cart_id = new_cart(backend, (1, 1))
    response = backend.post(f"/api/carts/{cart_id}/items", json={"product_id": 4242})
    assert response.status_code == 404
    assert response.json()["detail"] == "product_id: no such product"
    assert [i["quantity"] for i in backend.get(f"/api/carts/{cart_id}").json()["items"]] == [1]


def test_adding_twice_adds_up_and_the_cap_is_a_409(backend: TestClient) -> None:
    cart_id = new_cart(backend, (3, 60), (3, 40))
    assert backend.get(f"/api/carts/{cart_id}").json()["items"][0]["quantity"] == 100
    response = backend.post(f"/api/carts/{cart_id}/items", json={"product_id": 3})
    assert response.status_code == 409
    assert response.json()["detail"].startswith("quantity:")


def test_removing_an_item_empties_its_line(backend: TestClient) -> None:
    cart_id = new_cart(backend, (1, 1), (2, 1))
    body = backend.delete(f"/api/carts/{cart_id}/items/1").json()
    assert [i["product_id"] for i in body["items"]] == [2]


def test_checkout_prices_the_cart_and_spends_it(backend: TestClient) -> None:
    cart_id = new_cart(backend, (6, 2))  # 2 x 65.00 = 130.00: discount, free shipping
    response = backend.post("/api/orders", json={"cart_id": cart_id, "email": "a@example.com"})
    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["subtotal_cents"], order["discount_cents"]) == (13_000, 1_300)
    assert (order["tax_cents"], order["shipping_cents"], order["total_cents"]) == (1_170, 0, 12_870)
    assert backend.get(f"/api/orders/{order['id']}").json() == order
    assert backend.get(f"/api/carts/{cart_id}").status_code == 404


def test_checkout_of_an_empty_cart_is_409(backend: TestClient) -> None:
    cart_id = new_cart(backend)
    response = backend.post("/api/orders", json={"cart_id": cart_id, "email": "a@example.com"})
    assert response.status_code == 409
    assert response.json()["detail"].startswith("cart_id:")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cart_id": "x" * 32, "email": "a@example.com"}, "cart_id"),
        ({"cart_id": "0" * 32, "email": "not an email"}, "email"),
        ({"cart_id": "0" * 32, "email": "a\x00@example.com"}, "email"),
        ({"email": "a@example.com"}, "cart_id"),
    ],
)
def test_checkout_rejects_bad_input_naming_the_field(
    backend: TestClient, body: dict[str, str], field: str
) -> None:
    response = backend.post("/api/orders", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_unknown_order_is_404(backend: TestClient) -> None:
    response = backend.get(f"/api/orders/{'a' * 32}")
    assert response.status_code == 404
    assert response.json()["detail"] == "order_id: no such order"


def test_openapi_is_published_with_every_route(backend: TestClient) -> None:
    paths = backend.get("/openapi.json").json()["paths"]
    assert set(paths) == {
        "/api/products",
        "/api/products/{product_id}",
        "/api/carts",
        "/api/carts/{cart_id}",
        "/api/carts/{cart_id}/items",
        "/api/carts/{cart_id}/items/{product_id}",
        "/api/orders",
        "/api/orders/{order_id}",
    }


def test_healthz_is_200_when_the_database_answers(backend: TestClient) -> None:
    response = backend.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_seeding_twice_keeps_one_catalogue(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'twice.db'}")
    db.create_schema_and_seed(engine)
    db.create_schema_and_seed(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM products").scalar() == len(db.CATALOGUE)


def test_database_url_defaults_to_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    assert db.database_url({}, tmp_path) == f"sqlite:///{tmp_path / 'shop' / 'shop.db'}"


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://"])
def test_database_url_drives_postgresql_through_psycopg3(tmp_path: Path, scheme: str) -> None:
    url = db.database_url({"DATABASE_URL": f"{scheme}shop@db:5432/shop"}, tmp_path)
    assert url == "postgresql+psycopg://shop@db:5432/shop"
