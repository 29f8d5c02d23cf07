"""Request and response bodies of the shop API; the bounds are part of the published OpenAPI."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer cannot exist; rejecting them is a 422
MAX_QUANTITY = 100
ID_PATTERN = r"^[0-9a-f]{32}$"  # carts and orders: uuid4 hex
# A plain address: one @, no spaces or control characters, a dot in the domain.
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$"


class ProductOut(BaseModel):
    id: int
    sku: str
    name: str
    description: str
    price_cents: int
    in_stock: bool


class ProductList(BaseModel):
    items: list[ProductOut]
    total: int


class CartItemIn(BaseModel):
    product_id: int = Field(ge=1, le=MAX_ID)
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)


class CartItemOut(BaseModel):
    product_id: int
    name: str
    unit_price_cents: int
    quantity: int
    line_total_cents: int


class CartOut(BaseModel):
    id: str
    items: list[CartItemOut]
    subtotal_cents: int


class OrderIn(BaseModel):
    cart_id: str = Field(pattern=ID_PATTERN, description="the cart to check out")
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)


class OrderLineOut(BaseModel):
    product_id: int
    name: str
    unit_price_cents: int
    quantity: int


class OrderOut(BaseModel):
    id: str
    email: str
    lines: list[OrderLineOut]
    subtotal_cents: int
    discount_cents: int
    tax_cents: int
    shipping_cents: int
    total_cents: int
    created_at: dt.datetime


class ErrorOut(BaseModel):
    detail: str


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ValidationErrorOut(BaseModel):
    detail: str
    errors: list[FieldErrorOut]
