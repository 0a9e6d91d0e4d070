"""A session cart: product slugs and quantities in ``request.session``, nothing stored."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest

from .models import Product

SESSION_KEY = "shop_cart"
MAX_QUANTITY = 99


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.product.price * self.quantity


def quantities(request: HttpRequest) -> dict[str, int]:
    raw = request.session.get(SESSION_KEY, {})
    if not isinstance(raw, dict):
        return {}
    return {str(slug): int(qty) for slug, qty in raw.items() if isinstance(qty, int) and qty > 0}


def add(request: HttpRequest, product: Product) -> None:
    cart = quantities(request)
    cart[product.slug] = min(MAX_QUANTITY, cart.get(product.slug, 0) + 1)
    request.session[SESSION_KEY] = cart


def lines(request: HttpRequest) -> list[Line]:
    cart = quantities(request)
    products = Product.objects.filter(slug__in=list(cart))
    return [Line(product, cart[product.slug]) for product in products]


def total(cart_lines: list[Line]) -> Decimal:
    return sum((line.total for line in cart_lines), Decimal("0.00"))


def clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
