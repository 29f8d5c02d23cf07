"""shop-frontend's pages, rendered from the backend's answers."""

from __future__ import annotations

import pytest
from shop_support import TestClient

from kansoku import conventions
from kansoku.services.backend.db import CATALOGUE


def test_product_list_links_every_product(frontend: TestClient) -> None:
    response = frontend.get("/")
    assert response.status_code == 200
    for index, (_sku, name, _text, _price) in enumerate(CATALOGUE, start=1):
        assert name in response.text
        assert f'data-product-id="{index}"' in response.text


def test_product_page_shows_price_and_an_add_form(frontend: TestClient) -> None:
    response = frontend.get("/products/3")
    assert response.status_code == 200
    assert "28.00 €" in response.text
    assert 'action="/cart/items"' in response.text


def test_unknown_product_is_a_404_page(frontend: TestClient) -> None:
    response = frontend.get("/products/999")
    assert response.status_code == 404
    assert "product_id: no such product" in response.text


def test_adding_to_the_cart_sets_the_cookie_and_shows_the_cart(frontend: TestClient) -> None:
    response = frontend.post("/cart/items", data={"product_id": "1", "quantity": "2"})
    assert response.status_code == 200  # after the 303 to /cart
    assert len(frontend.cookies[conventions.CART_COOKIE]) == 32
    assert "Sencha" in response.text
    assert 'id="subtotal">24.00<' in response.text


@pytest.mark.parametrize(
    ("form", "field"),
    [({"product_id": "x"}, "product_id"), ({"product_id": "1", "quantity": "0"}, "quantity")],
)
def test_bad_form_input_is_a_400_page_naming_the_field(
    frontend: TestClient, form: dict[str, str], field: str
) -> None:
    response = frontend.post("/cart/items", data=form)
    assert response.status_code == 400
    assert f"{field}:" in response.text


def test_an_oversized_form_is_refused(frontend: TestClient) -> None:
    response = frontend.post("/cart/items", data={"product_id": "1", "pad": "x" * 5000})
    assert response.status_code == 413


def test_a_forged_cart_cookie_is_ignored(frontend: TestClient) -> None:
    frontend.cookies.set(conventions.CART_COOKIE, "../../admin")
    response = frontend.get("/cart")
    assert response.status_code == 200
    assert 'id="empty"' in response.text


def test_checkout_without_a_cart_is_a_400_page(frontend: TestClient) -> None:
    response = frontend.post("/checkout", data={"email": "a@example.com"})
    assert response.status_code == 400


def test_checkout_with_a_bad_email_names_the_field(frontend: TestClient) -> None:
    frontend.post("/cart/items", data={"product_id": "1"})
    response = frontend.post("/checkout", data={"email": "nope"})
    assert response.status_code == 422
    assert "email:" in response.text


def test_checkout_places_the_order_and_forgets_the_cart(frontend: TestClient) -> None:
    frontend.post("/cart/items", data={"product_id": "6", "quantity": "1"})
    assert "Place order" in frontend.get("/checkout").text
    response = frontend.post("/checkout", data={"email": "buyer@example.com"})
    assert response.status_code == 201
    assert 'data-order-id="' in response.text
    assert 'id="total">71.50<' in response.text  # 65.00 + 10% tax, free shipping
    assert conventions.CART_COOKIE not in frontend.cookies
