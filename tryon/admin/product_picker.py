"""Picking a garment's product in the admin: a search box over the shop's product models.

A garment links to its product generically (content type and id), so Django's own
``autocomplete_fields`` (which needs a foreign key) cannot be used. The picker is a
plain ``<select>`` that Django admin's own select2 script (``admin/js/autocomplete.js``,
shipped with Django: no build step) turns into a search box querying
:func:`search_products`, a staff-only JSON view. The models searched are those of
``TRYON["PRODUCT_MODELS"]`` that are registered on the same admin site and that the user
may view; each is searched with its ModelAdmin's ``search_fields``. Without JavaScript the
select lists the first products of each model.

A choice's value is ``"<app_label>.<model_name>:<pk>"``, e.g. ``"shop.product:12"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import get_select2_language
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..products import allowed_labels_text, find_product, is_product_model, model_for_label
from .display import ADMIN_CSS

PAGE_SIZE = 20  # search results per model and page
SELECT_LIMIT = 100  # products per model listed in the select itself (without JavaScript)


def product_value(obj: Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def product_text(obj: Model, *, with_model: bool) -> str:
    return f"{obj} ({obj._meta.verbose_name})" if with_model else str(obj)


def parse_product_value(value: str) -> tuple[type[Model], str] | None:
    label, separator, object_id = str(value).partition(":")
    if not separator or not object_id:
        return None
    model = model_for_label(label)
    return (model, object_id) if model is not None else None


@dataclass
class ProductPicker:
    """The product models one staff user may pick from on one admin site."""

    admin_site: admin.AdminSite
    request: HttpRequest

    def searchable(self) -> list[tuple[type[Model], admin.ModelAdmin[Any]]]:
        found = []
        for model, model_admin in self.admin_site._registry.items():
            if is_product_model(model) and model_admin.has_view_permission(self.request):
                found.append((model, model_admin))
        return sorted(found, key=lambda pair: pair[0]._meta.label_lower)

    def search(self, term: str, page: int) -> dict[str, Any]:
        """select2's answer: ``{"results": [...], "pagination": {"more": bool}}``."""
        searchable = self.searchable()
        grouped = len(searchable) > 1
        results: list[dict[str, Any]] = []
        more = False
        start = (page - 1) * PAGE_SIZE
        for model, model_admin in searchable:
            rows = list(_matches(model_admin, self.request, term)[start : start + PAGE_SIZE + 1])
            more = more or len(rows) > PAGE_SIZE
            items = [{"id": product_value(obj), "text": str(obj)} for obj in rows[:PAGE_SIZE]]
            if items and grouped:
                results.append({"text": str(model._meta.verbose_name_plural), "children": items})
            else:
                results.extend(items)
        return {"results": results, "pagination": {"more": more}}

    def choices(self, current: Model | None) -> list[Any]:
        """The select's options: the current product, then the first of each model."""
        searchable = self.searchable()
        grouped = len(searchable) > 1
        choices: list[Any] = [("", "---------")]
        if current is not None:
            choices.append((product_value(current), product_text(current, with_model=grouped)))
        for model, model_admin in searchable:
            rows = model_admin.get_queryset(self.request)
            options = [
                (product_value(obj), str(obj))
                for obj in _ordered(rows)[:SELECT_LIMIT]
                if current is None or product_value(obj) != product_value(current)
            ]
            if options:
                choices.append((str(model._meta.verbose_name_plural), options))
        return choices


def _matches(model_admin: admin.ModelAdmin[Any], request: HttpRequest, term: str) -> QuerySet[Any]:
    queryset = model_admin.get_queryset(request)
    term = term.strip()
    if not term:
        return _ordered(queryset)
    if model_admin.get_search_fields(request):
        found, may_have_duplicates = model_admin.get_search_results(request, queryset, term)
        return _ordered(found.distinct() if may_have_duplicates else found)
    # No search_fields: a product can still be found by its id.
    product = find_product(queryset.model, term)
    return queryset.filter(pk=product.pk) if product is not None else queryset.none()


def _ordered(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset if queryset.ordered else queryset.order_by("pk")


def search_products(request: HttpRequest, admin_site: admin.AdminSite) -> dict[str, Any]:
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    return ProductPicker(admin_site, request).search(request.GET.get("term", ""), page)


class ProductSelect(forms.Select):
    """A select that Django admin's select2 script turns into a product search box."""

    def __init__(self, search_url: str = "", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.search_url = search_url

    def build_attrs(
        self, base_attrs: dict[str, Any], extra_attrs: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        if not self.search_url:
            return attrs  # a plain select
        classes = " ".join(
            filter(None, [attrs.get("class", ""), "admin-autocomplete", "tryon-product-picker"])
        )
        attrs.update(
            {
                "class": classes,
                "data-ajax--cache": "true",
                "data-ajax--delay": 250,
                "data-ajax--type": "GET",
                "data-ajax--url": self.search_url,
                "data-theme": "admin-autocomplete",
                "data-allow-clear": json.dumps(not self.is_required),
                "data-placeholder": "",  # lets select2 clear the choice
                "lang": get_select2_language(),
            }
        )
        return attrs

    @property
    def media(self) -> forms.Media:
        # The scripts Django's own AutocompleteSelect loads, all shipped with Django.
        extra = "" if settings.DEBUG else ".min"
        language = get_select2_language()
        i18n = (f"admin/js/vendor/select2/i18n/{language}.js",) if language else ()
        return forms.Media(
            js=(
                f"admin/js/vendor/jquery/jquery{extra}.js",
                f"admin/js/vendor/select2/select2.full{extra}.js",
                *i18n,
                "admin/js/jquery.init.js",
                "admin/js/autocomplete.js",
            ),
            css={
                "screen": (
                    f"admin/css/vendor/select2/select2{extra}.css",
                    "admin/css/autocomplete.css",
                    ADMIN_CSS,
                )
            },
        )


class ProductField(forms.Field):
    """A product of ``TRYON["PRODUCT_MODELS"]``, chosen with :class:`ProductSelect`."""

    widget = ProductSelect
    default_error_messages = {
        "invalid": _("Choose a product from the list."),
        "not_a_product": _("A garment can link only to: %(allowed)s (TRYON['PRODUCT_MODELS'])."),
        "missing": _("That product no longer exists."),
    }

    def to_python(self, value: Any) -> Model | None:
        if value in self.empty_values:
            return None
        parsed = parse_product_value(str(value))
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        model, object_id = parsed
        if not is_product_model(model):
            raise ValidationError(
                self.error_messages["not_a_product"],
                code="not_a_product",
                params={"allowed": allowed_labels_text()},
            )
        product = find_product(model, object_id)
        if product is None:
            raise ValidationError(self.error_messages["missing"], code="missing")
        return product

    def prepare_value(self, value: Any) -> Any:
        return product_value(value) if isinstance(value, Model) else value
