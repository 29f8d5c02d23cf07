"""shop-frontend's pages: product list, product page, cart, checkout, order confirmation.

Pages are rendered on the server from the backend's answers. A backend that fails or does
not answer becomes a 502 page, and the error is recorded on the request's span with error
status; a backend 404 becomes a 404 page.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from kansoku import conventions
from kansoku.services.frontend.backend_client import BackendClient

_log = logging.getLogger(__name__)
_ID = re.compile(r"^[0-9a-f]{32}$")
_MAX_FORM_BYTES = 4096
MAX_PRODUCT_ID = 2**31 - 1
ProductId = Annotated[int, PathParam(ge=1, le=MAX_PRODUCT_ID)]


class BackendError(Exception):
    """The backend failed or could not be reached; the page becomes a 502."""


def _backend(request: Request) -> BackendClient:
    backend: BackendClient = request.app.state.backend  # set by ``app.create_app``
    return backend


Backend = Annotated[BackendClient, Depends(_backend)]
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
router = APIRouter(default_response_class=HTMLResponse)


@router.get("/")
async def product_list(request: Request, backend: Backend) -> Response:
    data = await _json(backend, "GET", "/api/products")
    return templates.TemplateResponse(request, "products.html", {"products": data["items"]})


@router.get("/products/{product_id}")
async def product_page(request: Request, backend: Backend, product_id: ProductId) -> Response:
    data = await _json(backend, "GET", "/api/products/{product_id}", product_id=product_id)
    return templates.TemplateResponse(request, "product.html", {"product": data})


@router.post("/cart/items")
async def add_to_cart(request: Request, backend: Backend) -> Response:
    form = await _form(request)
    product_id = _int_field(form, "product_id", 1, MAX_PRODUCT_ID)
    quantity = _int_field(form, "quantity", 1, 100, default=1)
    cart_id = await _cart_id(request, backend)
    await _json(
        backend,
        "POST",
        "/api/carts/{cart_id}/items",
        cart_id=cart_id,
        json={"product_id": product_id, "quantity": quantity},
    )
    redirect = RedirectResponse("/cart", status_code=303)
    redirect.set_cookie(conventions.CART_COOKIE, cart_id, httponly=True, samesite="lax")
    return redirect


@router.get("/cart")
async def cart_page(request: Request, backend: Backend) -> Response:
    cart = await _existing_cart(request, backend)
    return templates.TemplateResponse(request, "cart.html", {"cart": cart})


@router.get("/checkout")
async def checkout_form(request: Request, backend: Backend) -> Response:
    cart = await _existing_cart(request, backend)
    return templates.TemplateResponse(request, "checkout.html", {"cart": cart})


@router.post("/checkout")
async def checkout(request: Request, backend: Backend) -> Response:
    form = await _form(request)
    cart_id = _cookie_cart(request)
    if cart_id is None:
        raise HTTPException(400, "cart: your cart is empty")
    order = await _json(
        backend,
        "POST",
        "/api/orders",
        json={"cart_id": cart_id, "email": form.get("email", "")},
    )
    page = templates.TemplateResponse(request, "order.html", {"order": order}, 201)
    page.delete_cookie(conventions.CART_COOKIE)
    return page


async def _json(
    backend: BackendClient, method: str, route: str, *, json: Any = None, **params: str | int
) -> Any:
    """The backend's JSON answer; its 4xx pass through as pages, failures become 502."""
    try:
        response = await backend.call(method, route, json=json, **params)
    except httpx.HTTPError as exc:
        raise _backend_failed(f"backend unreachable: {type(exc).__name__}", exc) from exc
    if response.status_code >= 500:
        raise _backend_failed(f"backend answered {response.status_code} on {route}", None)
    if response.status_code >= 400:
        raise HTTPException(response.status_code, _detail(response))
    return response.json()


def _backend_failed(message: str, exc: Exception | None) -> BackendError:
    error = BackendError(message)
    span = trace.get_current_span()
    span.record_exception(exc or error)
    span.set_status(Status(StatusCode.ERROR, message))
    # With the exception, the log record carries exception.type and the stack.
    _log.error("%s", message, exc_info=exc)
    return error


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return detail if isinstance(detail, str) else response.reason_phrase


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise HTTPException(413, "form: too large")
    try:
        fields = parse_qs(body.decode(), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "form: not a url-encoded form") from None
    return {k: v[0] for k, v in fields.items()}


def _int_field(
    form: dict[str, str], name: str, low: int, high: int, default: int | None = None
) -> int:
    raw = form.get(name)
    if raw is None and default is not None:
        return default
    try:
        value = int(raw or "")
    except ValueError:
        raise HTTPException(400, f"{name}: a whole number is required") from None
    if not low <= value <= high:
        raise HTTPException(400, f"{name}: must be between {low} and {high}")
    return value


def _cookie_cart(request: Request) -> str | None:
    value = request.cookies.get(conventions.CART_COOKIE, "")
    return value if _ID.match(value) else None


async def _cart_id(request: Request, backend: BackendClient) -> str:
    """The visitor's cart, or a new one when there is none (or the backend forgot it)."""
    cart_id = _cookie_cart(request)
    if cart_id is not None:
        try:
            await _json(backend, "GET", "/api/carts/{cart_id}", cart_id=cart_id)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
        else:
            return cart_id
    created = await _json(backend, "POST", "/api/carts")
    return str(created["id"])


async def _existing_cart(request: Request, backend: BackendClient) -> dict[str, Any]:
    cart_id = _cookie_cart(request)
    if cart_id is None:
        return {"id": None, "items": [], "subtotal_cents": 0}
    try:
        cart: dict[str, Any] = await _json(backend, "GET", "/api/carts/{cart_id}", cart_id=cart_id)
    except HTTPException as exc:
        if exc.status_code != 404:
            raise
        return {"id": None, "items": [], "subtotal_cents": 0}
    return cart
