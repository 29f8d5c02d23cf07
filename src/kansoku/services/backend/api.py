"""The shop API: products, carts and orders over SQLAlchemy sessions.

Every way a request can be wrong ends in a 4xx naming what is wrong: 422 for bad input
(the validation handler in ``app``), 404 for an unknown id, 409 for a cart that cannot be
checked out. Checkout is one transaction; stock is taken with a conditional update, so
concurrent orders never oversell.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from opentelemetry import trace
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from kansoku import conventions
from kansoku.services.backend import pricing
from kansoku.services.backend.db import Cart, CartItem, Order, OrderLine, Product
from kansoku.services.backend.schemas import (
    ID_PATTERN,
    MAX_ID,
    MAX_QUANTITY,
    CartItemIn,
    CartItemOut,
    CartOut,
    ErrorOut,
    OrderIn,
    OrderLineOut,
    OrderOut,
    ProductList,
    ProductOut,
    ValidationErrorOut,
)

_log = logging.getLogger(__name__)
_A = conventions.SPAN_ATTR_PREFIX
ProductId = Annotated[int, Path(ge=1, le=MAX_ID)]
EntityId = Annotated[str, Path(pattern=ID_PATTERN)]
_Responses = dict[int | str, dict[str, Any]]
_NOT_FOUND: _Responses = {404: {"model": ErrorOut}}
_CONFLICT: _Responses = {409: {"model": ErrorOut}}


def _session(request: Request) -> Iterator[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions() as session:
        yield session


def _tracer(request: Request) -> trace.Tracer:
    tracer: trace.Tracer = request.app.state.tracer
    return tracer


Db = Annotated[Session, Depends(_session)]
Tracer = Annotated[trace.Tracer, Depends(_tracer)]
# 400 is FastAPI's answer to a body it cannot decode; 422 to one that breaks the schema.
# The app puts its session factory and tracer on ``app.state`` (see ``app.create_app``).
router = APIRouter(
    prefix="/api",
    responses={400: {"model": ErrorOut}, 422: {"model": ValidationErrorOut}},
)


@router.get("/products", tags=["products"])
def list_products(
    db: Db,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> ProductList:
    rows = db.scalars(select(Product).order_by(Product.id).limit(limit).offset(offset))
    total = db.scalar(select(func.count()).select_from(Product)) or 0
    return ProductList(items=[_product_out(p) for p in rows], total=total)


@router.get("/products/{product_id}", tags=["products"], responses=_NOT_FOUND)
def get_product(db: Db, product_id: ProductId) -> ProductOut:
    return _product_out(_product(db, product_id))


@router.post("/carts", status_code=201, tags=["carts"])
def create_cart(db: Db) -> CartOut:
    cart = Cart(id=uuid.uuid4().hex)
    db.add(cart)
    db.commit()
    return _cart_out(cart)


@router.get("/carts/{cart_id}", tags=["carts"], responses=_NOT_FOUND)
def get_cart(db: Db, cart_id: EntityId) -> CartOut:
    return _cart_out(_cart(db, cart_id))


@router.post("/carts/{cart_id}/items", tags=["carts"], responses={**_NOT_FOUND, **_CONFLICT})
def add_item(db: Db, cart_id: EntityId, item: CartItemIn) -> CartOut:
    cart = _cart(db, cart_id)
    _product(db, item.product_id, field="product_id")
    line = next((i for i in cart.items if i.product_id == item.product_id), None)
    quantity = item.quantity + (line.quantity if line else 0)
    if quantity > MAX_QUANTITY:
        raise HTTPException(409, f"quantity: at most {MAX_QUANTITY} of one product per cart")
    if line:
        line.quantity = quantity
    else:
        cart.items.append(CartItem(product_id=item.product_id, quantity=quantity))
    db.commit()
    return _cart_out(cart)


@router.delete("/carts/{cart_id}/items/{product_id}", tags=["carts"], responses=_NOT_FOUND)
def remove_item(db: Db, cart_id: EntityId, product_id: ProductId) -> CartOut:
    cart = _cart(db, cart_id)
    cart.items = [i for i in cart.items if i.product_id != product_id]
    db.commit()
    return _cart_out(cart)


@router.post("/orders", status_code=201, tags=["orders"], responses={**_NOT_FOUND, **_CONFLICT})
def create_order(db: Db, tracer: Tracer, order: OrderIn) -> OrderOut:
    return _order_out(_place_order(db, order, tracer))


@router.get("/orders/{order_id}", tags=["orders"], responses=_NOT_FOUND)
def get_order(db: Db, order_id: EntityId) -> OrderOut:
    found = db.get(Order, order_id)
    if found is None:
        raise HTTPException(404, "order_id: no such order")
    return _order_out(found)


def _place_order(db: Session, order: OrderIn, tracer: trace.Tracer) -> Order:
    cart = _cart(db, order.cart_id, field="cart_id")
    if not cart.items:
        raise HTTPException(status.HTTP_409_CONFLICT, "cart_id: the cart is empty")
    lines = [pricing.Line(i.product_id, i.product.price_cents, i.quantity) for i in cart.items]
    quote = pricing.price(lines, tracer)
    for line in lines:
        taken = db.execute(
            update(Product)
            .where(Product.id == line.product_id, Product.stock >= line.quantity)
            .values(stock=Product.stock - line.quantity)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            db.rollback()
            raise HTTPException(409, f"product_id: {line.product_id} is out of stock")
    placed = Order(
        id=uuid.uuid4().hex,
        email=order.email,
        subtotal_cents=quote.subtotal_cents,
        discount_cents=quote.discount_cents,
        tax_cents=quote.tax_cents,
        shipping_cents=quote.shipping_cents,
        total_cents=quote.total_cents,
        lines=[
            OrderLine(
                product_id=i.product_id,
                name=i.product.name,
                unit_price_cents=i.product.price_cents,
                quantity=i.quantity,
            )
            for i in cart.items
        ],
    )
    db.add(placed)
    db.delete(cart)  # a cart is spent once it became an order
    db.commit()
    trace.get_current_span().set_attribute(_A + "order_id", placed.id)
    _log.info(
        "order placed: %d lines, total %d cents",
        len(placed.lines),
        placed.total_cents,
        extra={_A + "order_id": placed.id},
    )
    return placed


def _product(db: Session, product_id: int, field: str = "product_id") -> Product:
    found = db.get(Product, product_id)
    if found is None:
        raise HTTPException(404, f"{field}: no such product")
    return found


def _cart(db: Session, cart_id: str, field: str = "cart_id") -> Cart:
    found = db.get(Cart, cart_id)
    if found is None:
        raise HTTPException(404, f"{field}: no such cart")
    return found


def _product_out(p: Product) -> ProductOut:
    return ProductOut(
        id=p.id,
        sku=p.sku,
        name=p.name,
        description=p.description,
        price_cents=p.price_cents,
        in_stock=p.stock > 0,
    )


def _cart_out(cart: Cart) -> CartOut:
    items = [
        CartItemOut(
            product_id=i.product_id,
            name=i.product.name,
            unit_price_cents=i.product.price_cents,
            quantity=i.quantity,
            line_total_cents=i.product.price_cents * i.quantity,
        )
        for i in cart.items
    ]
    return CartOut(id=cart.id, items=items, subtotal_cents=sum(i.line_total_cents for i in items))


def _order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.id,
        email=order.email,
        lines=[
            OrderLineOut(
                product_id=ln.product_id,
                name=ln.name,
                unit_price_cents=ln.unit_price_cents,
                quantity=ln.quantity,
            )
            for ln in order.lines
        ],
        subtotal_cents=order.subtotal_cents,
        discount_cents=order.discount_cents,
        tax_cents=order.tax_cents,
        shipping_cents=order.shipping_cents,
        total_cents=order.total_cents,
        # SQLite hands back naive datetimes; every timestamp is stored in UTC.
        created_at=order.created_at.replace(tzinfo=order.created_at.tzinfo or dt.UTC),
    )
