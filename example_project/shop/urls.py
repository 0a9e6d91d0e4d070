from __future__ import annotations

from django.urls import path

from . import checkout, views

app_name = "shop"

urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("products/<slug:slug>/", views.product_detail, name="product_detail"),
    path("cart/", checkout.cart_page, name="cart"),
    path("cart/add/<slug:slug>/", checkout.add_to_cart, name="add_to_cart"),
    path("checkout/", checkout.checkout, name="checkout"),
    path("checkout/done/", checkout.order_done, name="order_done"),
]
