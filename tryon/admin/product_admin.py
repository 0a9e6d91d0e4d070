"""Try-on garments on a shop's product admin, including one the shop did not write.

A shop whose product admin is its own adds the mixin::

    @admin.register(Product)
    class ProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin): ...

A shop whose framework already registered the product admin (django-oscar's
``catalogue.ProductAdmin``, a plugin's, …) cannot register a second one
(``AlreadyRegistered``); it patches the registered one instead, once the framework's
admin modules are imported (in its own ``admin.py``, listed after the framework in
``INSTALLED_APPS``, or in its ``AppConfig.ready()``)::

    add_garment_inline(Product)

Both add :class:`GarmentInline` and the two preview actions, and do nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.db.models import Model

from .actions import generate_tryon_previews, retry_failed_tryon_previews
from .garments import GarmentInline

PREVIEW_ACTIONS = (generate_tryon_previews, retry_failed_tryon_previews)


def add_tryon_tools(model_admin: admin.ModelAdmin[Any], *, actions: bool = True) -> None:
    """Give ``model_admin`` (an instance) the garments inline and the preview actions."""
    inlines = list(model_admin.inlines or [])
    if not any(issubclass(inline, GarmentInline) for inline in inlines):
        # On the instance, not its class: a class may serve other admin sites too.
        model_admin.inlines = [*inlines, GarmentInline]  # type: ignore[misc]
    # ``actions = None`` is how an admin says "no actions at all": respect it.
    if actions and model_admin.actions is not None:
        current = list(model_admin.actions)
        names = {getattr(action, "__name__", action) for action in current}
        missing = [action for action in PREVIEW_ACTIONS if action.__name__ not in names]
        model_admin.actions = [*current, *missing]


def add_garment_inline(
    model: type[Model], *, site: admin.AdminSite | None = None, actions: bool = True
) -> admin.ModelAdmin[Any]:
    """Add the garments inline (and the preview actions) to ``model``'s registered admin.

    Returns that ModelAdmin. Raises ``NotRegistered`` when nothing registered ``model``
    on ``site`` (default: ``admin.site``) yet.
    """
    site = site or admin.site
    try:
        model_admin = site.get_model_admin(model)
    except NotRegistered as exc:
        raise NotRegistered(
            f"{model._meta.label} is not registered on the admin site {site.name!r} (yet): "
            "call add_garment_inline() after the app that registers it (list your app after "
            "it in INSTALLED_APPS, or call it from your AppConfig.ready()), or register your "
            "own ModelAdmin with TryOnProductAdminMixin."
        ) from exc
    add_tryon_tools(model_admin, actions=actions)
    return model_admin


class TryOnProductAdminMixin:
    """Mix into a product ``ModelAdmin``: the garments inline and the preview actions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_tryon_tools(self)  # type: ignore[arg-type]
