"""Product list and product detail."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import engines
from django.views.decorators.csrf import ensure_csrf_cookie

from tryon import analytics

from .models import Product


def tryon_tags_available() -> bool:
    """Whether ``{% load tryon %}`` works: the app's template tag library exists."""
    return "tryon" in engines["django"].engine.template_libraries  # type: ignore[attr-defined]


def product_list(request: HttpRequest) -> HttpResponse:
    return render(request, "shop/product_list.html", {"products": Product.objects.all()})


@ensure_csrf_cookie  # the try-on widget POSTs to the API from JavaScript
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product, slug=slug)
    context = {
        "product": product,
        "tryon_tags": tryon_tags_available(),
        # The holdout's sessions never see try-on: the headings around it go too.
        "tryon_holdout": analytics.in_holdout(request),
    }
    return render(request, "shop/product_detail.html", context)
