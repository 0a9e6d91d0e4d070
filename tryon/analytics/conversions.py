"""The shop's conversions: an add to cart or an order, attributed to the session.

A shop calls, from its own cart and checkout code::

    from tryon import analytics

    analytics.record_conversion(request, product=product, kind="add_to_cart", value=price)
    analytics.record_conversion(request, kind="order", value=order.total)

A conversion is attributed to the session's holdout arm when the session had the widget
rendered (or, in the holdout, not rendered) within ``TRYON["ATTRIBUTION_WINDOW"]``
seconds before it; otherwise it is kept, unattributed, for the totals only.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from ..conf import tryon_settings
from ..models import Garment
from .models import EventKind, TryOnEvent
from .store import insert
from .visitors import analytics_enabled, joined, visitor_for

logger = logging.getLogger("tryon.analytics")

_KINDS = {EventKind.ADD_TO_CART.value, EventKind.ORDER.value}
_MAX_VALUE = Decimal("999999999999.99")  # what the column holds (14 digits, 2 places)


def record_conversion(
    request: Any,
    *,
    product: Any = None,
    kind: str = "add_to_cart",
    value: Decimal | int | str | None = None,
) -> bool:
    """Record an ``"add_to_cart"`` or an ``"order"``; True if it was written.

    ``product``: the shop's product (any model instance, or a Garment), for the
    per-product table. ``value``: the amount in the shop's currency, a ``Decimal``
    (an int or a numeric string also do). Never raises: a wrong argument is logged.
    """
    if not analytics_enabled():
        return False
    try:
        if kind not in _KINDS:
            raise ValueError(f"kind must be 'add_to_cart' or 'order', not {kind!r}")
        amount = _amount(value)
        # The session is the shopper's link between a render, a cart and an order: one
        # that has none yet (the first page was a cart add) gets one now.
        visitor = visitor_for(request, create=True)
        arm = attributed_arm(visitor)
        joined_arm, joined_at = joined(request)
        return insert(
            kind,
            visitor=visitor,
            arm=arm,
            joined_at=joined_at if arm and joined_arm == arm else None,
            garment_pk=_garment_pk(product),
            product=_product_label(product),
            value=amount,
        )
    except Exception:  # the shop's checkout must go on whatever happens here
        logger.exception("tryon analytics: could not record a conversion")
        return False


def attributed_arm(visitor: int, now: Any = None) -> str:
    """The arm of the visitor's last widget render within the window, else ""."""
    if not visitor:
        return ""
    now = now or timezone.now()
    since = now - timedelta(seconds=float(tryon_settings.ATTRIBUTION_WINDOW))
    try:
        arm = (
            TryOnEvent.objects.filter(
                visitor=visitor, kind=EventKind.WIDGET_RENDERED, created_at__gte=since
            )
            .order_by("-created_at")
            .values_list("arm", flat=True)
            .first()
        )
    except DatabaseError:
        logger.exception("tryon analytics: could not attribute a conversion")
        return ""
    return arm or ""


def _amount(value: Decimal | int | str | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float | bool):
        raise TypeError("value must be a Decimal (an int or a numeric string also do)")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"value {value!r} is not a number") from None
    if not amount.is_finite() or abs(amount) > _MAX_VALUE:
        raise ValueError(f"value {value!r} is out of range")
    return amount.quantize(Decimal("0.01"))


def _garment_pk(product: Any) -> int | None:
    if product is None or getattr(product, "pk", None) is None:
        return None
    if isinstance(product, Garment):
        return int(product.pk)
    pk = Garment.objects.for_product(product).order_by("pk").values_list("pk", flat=True).first()
    return int(pk) if pk is not None else None


def _product_label(product: Any) -> str:
    meta = getattr(product, "_meta", None)
    if product is None or meta is None:
        return ""
    return f"{meta.label_lower}:{product.pk}"[:100]
