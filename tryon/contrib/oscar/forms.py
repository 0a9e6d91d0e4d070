"""The dashboard's forms: a garment of a product, and the preset models to preview on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class

from tryon.models import Garment

from .pictures import follows_product
from .products import primary_image_file, product_model, product_of

ProductSelect = get_class("dashboard.catalogue.widgets", "ProductSelect")


class GarmentForm(forms.ModelForm[Garment]):
    """A garment: its product, and its picture either from the product or its own."""

    product: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Product"),
        queryset=None,  # set per form: the shop's (possibly forked) product model
        required=False,
        widget=ProductSelect,
    )
    picture_from_product = forms.BooleanField(
        label=_("Use the product's primary image"),
        required=False,
        initial=True,
        help_text=_(
            "The picture follows the product: when its primary image changes, the "
            "garment's picture is replaced and its previews are made again when asked."
        ),
    )

    class Meta:
        model = Garment
        fields = ["name", "category", "description", "is_active", "image"]
        labels = {"image": _("Own picture")}
        # The page shows the current picture; a "clear" box would leave the garment
        # without one.
        widgets = {"image": forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})}
        help_texts = {
            "image": _(
                "A picture of the garment alone (a flat lay or on a mannequin). "
                "Only when the product's image is not used."
            )
        }

    field_order = [
        "product",
        "picture_from_product",
        "image",
        "name",
        "category",
        "description",
        "is_active",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_field = self.fields["product"]
        assert isinstance(product_field, forms.ModelChoiceField)
        product_field.queryset = product_model()._default_manager.all()
        self.fields["image"].required = False
        if self.instance.pk is not None:
            self.fields["product"].initial = product_of(self.instance)
            self.fields["picture_from_product"].initial = follows_product(self.instance)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        product = cleaned.get("product")
        uploaded = self.files.get(self.add_prefix("image"))
        if cleaned.get("picture_from_product"):
            if product is None:
                self.add_error("picture_from_product", _("Choose the product whose image is used."))
            elif primary_image_file(product) is None:
                self.add_error(
                    "picture_from_product",
                    _(
                        "This product has no image yet. Add one to the product, or untick "
                        "this and upload a picture of the garment."
                    ),
                )
            if uploaded:
                self.add_error(
                    "image",
                    _("Untick “Use the product's primary image” to upload a picture of its own."),
                )
        elif not uploaded and not self.instance.image:
            self.add_error(
                "image",
                _("Upload a picture of the garment, or use the product's primary image."),
            )
        return cleaned


class GarmentSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or product"), required=False)
