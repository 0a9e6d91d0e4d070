"""Cart and checkout pages. Each add to cart and each order line is reported to
``tryon.analytics.record_conversion`` (the one call a shop adds to its own code), so
the admin's "Try-on analytics" page can tell whether try-on sells."""

from __future__ import annotations

import secrets

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tryon import analytics

from . import cart
from .models import Product

_LAST_ORDER = "shop_last_order"


@require_POST
def add_to_cart(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product, slug=slug)
    cart.add(request, product)
    analytics.record_conversion(request, product=product, kind="add_to_cart", value=product.price)
    return redirect("shop:cart")


def cart_page(request: HttpRequest) -> HttpResponse:
    lines = cart.lines(request)
    return render(request, "shop/cart.html", {"lines": lines, "total": cart.total(lines)})


def checkout(request: HttpRequest) -> HttpResponse:
    lines = cart.lines(request)
    if not lines:
        return redirect("shop:cart")
    if request.method == "POST":
        # A demo shop takes no payment: placing the order is the conversion.
        for line in lines:  # one call per line: the dashboard's per-product table
            analytics.record_conversion(
                request, product=line.product, kind="order", value=line.total
            )
        request.session[_LAST_ORDER] = {
            "number": secrets.token_hex(4).upper(),
            "total": str(cart.total(lines)),
            "items": sum(line.quantity for line in lines),
        }
        cart.clear(request)
        return redirect("shop:order_done")
    return render(request, "shop/checkout.html", {"lines": lines, "total": cart.total(lines)})


def order_done(request: HttpRequest) -> HttpResponse:
    order = request.session.get(_LAST_ORDER)
    if not order:
        return redirect("shop:product_list")
    return render(request, "shop/order_done.html", {"order": order})
