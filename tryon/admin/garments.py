"""Garments in the admin: their own admin, and the inline a shop adds to its product admin."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminTextInputWidget
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.db.models import Field, QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from ..models import Garment
from .actions import generate_tryon_previews, retry_failed_tryon_previews
from .display import ADMIN_CSS, INLINE_SIZE, PREVIEW_SIZE, admin_link, thumbnail
from .garment_form import GarmentAdminForm, linked_product
from .picture_input import PictureInput
from .product_picker import ProductPicker, search_products
from .summaries import PreviewSummaryMixin, prefetch_previews


class GarmentInline(PreviewSummaryMixin, GenericTabularInline):
    """Add to a product admin's ``inlines`` to manage the product's try-on garments.

    Narrow enough for a 1366 px screen: the picture and the previews are small
    thumbnails, and the garment's own page ("Change") has everything at full size.
    """

    model = Garment
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 0
    show_change_link = True
    fields = ["name", "image", "category", "description", "is_active", "preview_overview"]
    readonly_fields = ["preview_overview"]

    class Media:
        css = {"all": (ADMIN_CSS,)}  # thumbnails and previews, styled without inline CSS

    def formfield_for_dbfield(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name == "image":
            kwargs["widget"] = PictureInput(size=INLINE_SIZE)
        elif db_field.name in ("name", "description"):
            kwargs["widget"] = AdminTextInputWidget(
                attrs={"class": f"tryon-input--{db_field.name}"}
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Garment]:
        return super().get_queryset(request).prefetch_related(prefetch_previews())


@admin.register(Garment)
class GarmentAdmin(PreviewSummaryMixin, admin.ModelAdmin):
    form = GarmentAdminForm

    class Media:
        css = {"all": (ADMIN_CSS,)}  # thumbnails and previews, styled without inline CSS

    list_display = [
        "name",
        "image_thumbnail",
        "category",
        "is_active",
        "product_link",
        "preview_status",
        "id",
        "created_at",
    ]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "description"]
    actions = [generate_tryon_previews, retry_failed_tryon_previews]
    readonly_fields = [
        "id",
        "preview_status",
        "preview_gallery",
        "preview_failures",
        "created_at",
        "updated_at",
    ]
    fields = [
        "name",
        "image",
        "category",
        "description",
        "is_active",
        "shop_product",
        "id",
        "preview_status",
        "preview_gallery",
        "preview_failures",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("image"))
    def image_thumbnail(self, obj: Garment) -> str:
        return thumbnail(obj.image)

    @admin.display(description=_("product"))
    def product_link(self, obj: Garment) -> str:
        product = linked_product(obj)
        return "—" if product is None else admin_link(self, product, str(product))

    def formfield_for_dbfield(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name == "image":
            kwargs["widget"] = PictureInput(size=PREVIEW_SIZE)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        form = super().get_form(request, obj, change, **kwargs)
        per_request = {
            "product_picker": ProductPicker(self.admin_site, request),
            "product_search_url": reverse(f"{self.admin_site.name}:{self._search_url_name}"),
        }
        return cast(type[forms.ModelForm[Any]], type(form.__name__, (form,), per_request))

    @property
    def _search_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_product_search"

    def get_urls(self) -> list[URLPattern]:
        search = path(
            "product-search/",
            self.admin_site.admin_view(self.product_search_view),
            name=self._search_url_name,
        )
        return [search, *super().get_urls()]

    def product_search_view(self, request: HttpRequest) -> JsonResponse:
        """The product picker's search: staff who may add or change garments only."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        return JsonResponse(search_products(request, self.admin_site))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Garment]:
        # The previews of a whole changelist page in one query; products likewise.
        return (
            super()
            .get_queryset(request)
            .select_related("content_type")
            .prefetch_related(prefetch_previews())
        )
