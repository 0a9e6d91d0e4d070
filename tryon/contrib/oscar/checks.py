"""System checks for the Oscar integration: the menu entry and the product page section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import oscar
from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.core.checks import register as register_check
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from .nav import has_tryon_entry

PRODUCT_UPDATE_TEMPLATE = "oscar/dashboard/catalogue/product_update.html"


def check_navigation(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    navigation = getattr(settings, "OSCAR_DASHBOARD_NAVIGATION", None) or []
    if has_tryon_entry(navigation):
        return []
    return [
        Warning(
            "The try-on garments have no entry in Oscar's dashboard menu.",
            hint=(
                "In settings, after `from oscar.defaults import *`: `from "
                "tryon.contrib.oscar.nav import TRYON_DASHBOARD_NAVIGATION` and "
                "`OSCAR_DASHBOARD_NAVIGATION.append(TRYON_DASHBOARD_NAVIGATION)`."
            ),
            id="tryon_oscar.W001",
        )
    ]


def check_product_page(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The dashboard's product page shows the try-on section only through an override."""
    try:
        origin = get_template(PRODUCT_UPDATE_TEMPLATE).origin  # type: ignore[attr-defined]
    except TemplateDoesNotExist:
        return []
    oscar_templates = Path(oscar.__file__).resolve().parent
    if not Path(str(origin.name)).resolve().is_relative_to(oscar_templates):
        return []  # ours, or the shop's own override (which includes our partials)
    return [
        Warning(
            "Oscar's own product page template is used in the dashboard: products will "
            "not show their try-on garments and previews.",
            hint=(
                "List 'tryon.contrib.oscar.apps.TryOnOscarConfig' in INSTALLED_APPS before "
                "Oscar's apps, or include 'tryon/oscar/dashboard/_product_tab_nav.html' and "
                "'_product_tab.html' in your own override of " + PRODUCT_UPDATE_TEMPLATE + "."
            ),
            id="tryon_oscar.W002",
        )
    ]


def register() -> None:
    register_check(check_navigation)
    register_check(check_product_page, "templates")
