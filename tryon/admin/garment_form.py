"""The garment admin's form: the product picked with a search box, the picture in one row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from ..models import Garment
from ..products import find_product
from .product_picker import ProductField, ProductPicker, ProductSelect, product_text


def linked_product(garment: Garment) -> Model | None:
    """The product ``garment`` links to, or None (no link, or its row is gone)."""
    if not garment.content_type_id or not garment.object_id:
        return None
    content_type = garment.content_type
    model = content_type.model_class() if content_type is not None else None
    return find_product(model, garment.object_id) if model is not None else None


class GarmentAdminForm(forms.ModelForm[Garment]):
    shop_product = ProductField(
        label=_("Product"),
        required=False,
        help_text=_(
            "Type a few letters of the product's name to search the shop's products. "
            "Empty: a garment of no product."
        ),
    )

    # Set per request by GarmentAdmin.get_form: the models this user may pick from.
    product_picker: ProductPicker | None = None
    product_search_url = ""

    class Meta:
        model = Garment
        fields = ["name", "image", "category", "description", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = linked_product(self.instance)
        if current is not None:
            self.initial.setdefault("shop_product", current)
        widget = self.fields["shop_product"].widget
        assert isinstance(widget, ProductSelect)
        widget.search_url = self.product_search_url
        if self.product_picker is not None:
            widget.choices = self.product_picker.choices(current)
        else:
            widget.choices = [("", "---------")]
            if current is not None:
                widget.choices.append(
                    (
                        self.fields["shop_product"].prepare_value(current),
                        product_text(current, with_model=True),
                    )
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "shop_product" in cleaned:  # a valid choice (or none): link before the model's clean()
            product = cleaned["shop_product"]
            if product is None:
                self.instance.content_type = None
                self.instance.object_id = ""
            else:
                self.instance.content_type = ContentType.objects.get_for_model(product)
                self.instance.object_id = str(product.pk)
        return cleaned
