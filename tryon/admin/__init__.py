"""Admin for garments, model photos and try-on jobs, and catalogue previews.

Importing this package registers ``Garment``, ``ModelPhoto`` and ``TryOn`` with the
default admin site. A shop's own product admin gets the garments inline and the preview
actions with the mixin::

    from tryon.admin import TryOnProductAdminMixin

    @admin.register(Product)
    class ProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin): ...

and a product admin that something else registered (a framework's) with
``add_garment_inline(Product)``. By hand: ``inlines = [GarmentInline]`` and
``actions = [generate_tryon_previews, retry_failed_tryon_previews]``. The actions work on
garments or on any model whose rows garments are linked to.

Modules: ``garments`` (GarmentAdmin, GarmentInline), ``garment_form`` and
``product_picker`` (the product search box), ``product_admin`` (the mixin and
``add_garment_inline``), ``model_photos`` (ModelPhotoAdmin and its restyle action),
``tryons`` (TryOnAdmin), ``actions`` and ``preview_plan`` (the preview actions and what
they will do), ``summaries`` (preview counts and galleries), ``display`` and
``picture_input`` (thumbnails, links, error descriptions, the picture input) and
``action_page`` (the intermediate page of actions that ask first).
"""

from __future__ import annotations

from ..analytics import admin as _analytics_admin  # noqa: F401  (registers the dashboard)
from .actions import PreviewModelsForm, generate_tryon_previews, retry_failed_tryon_previews
from .display import PREVIEW_SIZE, THUMBNAIL_SIZE, error_description, thumbnail
from .garments import GarmentAdmin, GarmentInline
from .model_photos import ModelPhotoAdmin, RestyleForm
from .product_admin import TryOnProductAdminMixin, add_garment_inline
from .summaries import (
    PreviewSummaryMixin,
    preview_counts_html,
    preview_failures_html,
    preview_gallery_html,
)
from .tryons import TryOnAdmin, save_result_as_preset

__all__ = [
    "PREVIEW_SIZE",
    "THUMBNAIL_SIZE",
    "GarmentAdmin",
    "GarmentInline",
    "ModelPhotoAdmin",
    "PreviewModelsForm",
    "PreviewSummaryMixin",
    "RestyleForm",
    "TryOnAdmin",
    "TryOnProductAdminMixin",
    "add_garment_inline",
    "error_description",
    "generate_tryon_previews",
    "preview_counts_html",
    "preview_failures_html",
    "preview_gallery_html",
    "retry_failed_tryon_previews",
    "save_result_as_preset",
    "thumbnail",
]
