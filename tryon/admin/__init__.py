"""Admin for garments, model photos and try-on jobs, and catalogue previews.

Importing this package registers ``Garment``, ``ModelPhoto`` and ``TryOn`` with the
default admin site. A shop's own product admin gets the same preview tools with two lines::

    from tryon.admin import GarmentInline, generate_tryon_previews, retry_failed_tryon_previews

    @admin.register(Product)
    class ProductAdmin(admin.ModelAdmin):
        inlines = [GarmentInline]
        actions = [generate_tryon_previews, retry_failed_tryon_previews]

The actions work on garments or on any model whose rows garments are linked to.

Modules: ``garments`` (GarmentAdmin, GarmentInline), ``model_photos`` (ModelPhotoAdmin and
its restyle action), ``tryons`` (TryOnAdmin), ``actions`` (the preview actions),
``summaries`` (preview counts and galleries), ``display`` (thumbnails, links, error
descriptions) and ``action_page`` (the intermediate page of actions that ask first).
"""

from __future__ import annotations

from .actions import PreviewModelsForm, generate_tryon_previews, retry_failed_tryon_previews
from .display import PREVIEW_SIZE, THUMBNAIL_SIZE, error_description, thumbnail
from .garments import GarmentAdmin, GarmentInline
from .model_photos import ModelPhotoAdmin, RestyleForm
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
    "error_description",
    "generate_tryon_previews",
    "preview_counts_html",
    "preview_failures_html",
    "preview_gallery_html",
    "retry_failed_tryon_previews",
    "save_result_as_preset",
    "thumbnail",
]
