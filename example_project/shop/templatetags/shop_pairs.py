"""``{% suggested_pair product as pair %}``: the product the demo shop suggests wearing with
another, for the try-on widget's "Complete the look" (``{% tryon_widget product pair=pair %}``).

A real shop would keep this in its catalogue (a "goes with" relation, a merchandiser's
pick); the demo names its pairs by slug. Only an upper-body and a lower-body garment
combine: the tag ignores any other pair.
"""

from __future__ import annotations

from django import template

from ..models import Product

register = template.Library()

PAIRS: dict[str, str] = {
    "red-t-shirt": "classic-jeans",
    "blue-striped-shirt": "classic-jeans",
    "black-hoodie": "classic-jeans",
    "classic-jeans": "red-t-shirt",
    "green-skirt": "blue-striped-shirt",
}


@register.simple_tag
def suggested_pair(product: Product | None) -> Product | None:
    slug = PAIRS.get(getattr(product, "slug", ""))
    return Product.objects.filter(slug=slug).first() if slug else None
