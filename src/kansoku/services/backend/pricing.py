"""Pricing at checkout: the business step traced by hand.

The ``shop.pricing`` span carries the order's shape (lines, items, amounts in cents) and an
event when a discount applies; an exception inside it is recorded on the span with error
status by the SDK before it propagates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from opentelemetry import trace

from kansoku import conventions

FREE_SHIPPING_FROM_CENTS = 5_000
SHIPPING_CENTS = 500
DISCOUNT_FROM_CENTS = 10_000
DISCOUNT_PERCENT = 10
TAX_PERCENT = 10
_A = conventions.SPAN_ATTR_PREFIX + "pricing."


@dataclass(frozen=True)
class Line:
    product_id: int
    unit_price_cents: int
    quantity: int


@dataclass(frozen=True)
class Quote:
    subtotal_cents: int
    discount_cents: int
    tax_cents: int
    shipping_cents: int

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents + self.tax_cents + self.shipping_cents


def price(lines: Sequence[Line], tracer: trace.Tracer) -> Quote:
    """Subtotal, volume discount, tax and shipping for ``lines`` (integer cents throughout)."""
    with tracer.start_as_current_span(conventions.SPAN_PRICING) as span:
        if not lines:
            raise ValueError("cannot price an empty order")
        subtotal = sum(line.unit_price_cents * line.quantity for line in lines)
        discount = subtotal * DISCOUNT_PERCENT // 100 if subtotal >= DISCOUNT_FROM_CENTS else 0
        if discount:
            span.add_event(
                "discount applied",
                {_A + "discount_percent": DISCOUNT_PERCENT, _A + "discount_cents": discount},
            )
        tax = (subtotal - discount) * TAX_PERCENT // 100
        shipping = 0 if subtotal >= FREE_SHIPPING_FROM_CENTS else SHIPPING_CENTS
        quote = Quote(subtotal, discount, tax, shipping)
        span.set_attributes(
            {
                _A + "lines": len(lines),
                _A + "items": sum(line.quantity for line in lines),
                _A + "subtotal_cents": subtotal,
                _A + "total_cents": quote.total_cents,
                _A + "free_shipping": shipping == 0,
            }
        )
        return quote
