"""Small display helpers the admin pages share: thumbnails, links, error descriptions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from ..backends.codes import describe_code
from ..models import TryOn

ADMIN_CSS = "tryon/admin.css"  # every style of our admin pages: none inline (CSP)
THUMBNAIL_SIZE = 64
PREVIEW_SIZE = 120
INLINE_SIZE = 40  # thumbnails in a product page's garment rows


def file_url(field_file: Any) -> str:
    """The URL of a stored file, or "" (no file, or a storage that cannot build one)."""
    if not field_file:
        return ""
    try:
        return str(field_file.url)
    except Exception:  # a storage that cannot build a URL must not break the page
        return ""


def thumbnail(field_file: Any, size: int = THUMBNAIL_SIZE, title: str = "") -> str:
    """An <img> of a stored image, or an em dash; never raises for a missing file."""
    url = file_url(field_file)
    if not url:
        return "—"
    title_attribute = format_html(' title="{}"', title) if title else ""
    # A square box the picture is contained in (admin.css): no inline style, no reflow.
    return format_html(
        '<img src="{}" alt="{}"{} class="tryon-thumb" width="{}" height="{}" loading="lazy">',
        url,
        title,
        title_attribute,
        size,
        size,
    )


def admin_link(model_admin: admin.ModelAdmin, obj: Model, text: str) -> str:
    """A link to ``obj``'s change page on this admin site, or plain text if not there."""
    opts = obj._meta
    try:
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[obj.pk],
            current_app=model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return format_html("{}", text)
    return format_html('<a href="{}">{}</a>', url, text)


def error_description(tryon: TryOn) -> str:
    """What a failed job's provider code means, in words a shop owner reads."""
    if tryon.error_code is None:
        return ""
    return describe_code(tryon.error_code)
