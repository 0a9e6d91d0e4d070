"""``{% load tryon_oscar %}``: a product's try-on garments and their previews, for the dashboard."""

from __future__ import annotations

from typing import Any

from django import template

from .. import actions
from ..pictures import follows_product
from ..products import garments_of

register = template.Library()


@register.simple_tag
def tryon_product_garments(product: Any) -> list[dict[str, Any]]:
    """``{% tryon_product_garments product as entries %}``: each garment of ``product``.

    Each entry has ``garment``, ``follows_product`` (its picture is the product's
    primary image), ``states`` (its preview on each active preset model) and ``counts``.
    """
    if product is None or getattr(product, "pk", None) is None:
        return []
    presets = list(actions.preset_models())
    entries = []
    for garment in garments_of(product):
        states = actions.preview_states(garment, presets)
        entries.append(
            {
                "garment": garment,
                "follows_product": follows_product(garment),
                "states": states,
                "counts": actions.state_counts(states),
            }
        )
    return entries
